//! Pokes: one broadcast per space in this process. On PostgreSQL, a push NOTIFYs a channel
//! that every server process LISTENs on, so a push to one process pokes the listeners of
//! all of them and the server scales out behind a load balancer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::Stream;
use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::ServerError;

const CHANNEL: &str = "promptdeck_poke";

type Listeners = Arc<Mutex<HashMap<String, broadcast::Sender<()>>>>;

#[derive(Clone, Default)]
pub(crate) struct Pokes {
    listeners: Listeners,
    /// Where pushes announce themselves to every process; `None` for one process alone.
    notify: Option<AnyPool>,
}

impl Pokes {
    /// Pokes that reach the listeners of every server process on the PostgreSQL database
    /// at `url`.
    pub(crate) async fn across_processes(url: &str, pool: AnyPool) -> Result<Self, ServerError> {
        let mut channel = PgListener::connect(url).await?;
        channel.listen(CHANNEL).await?;
        let pokes = Self { listeners: Listeners::default(), notify: Some(pool) };
        tokio::spawn(relay(channel, pokes.listeners.clone()));
        Ok(pokes)
    }

    /// A poke whenever `space` changes; a listener that fell behind gets one poke for all
    /// it missed (a pull catches up). The space is forgotten when its last listener leaves.
    pub(crate) fn listen(&self, space: &str) -> impl Stream<Item = ()> + Send + use<> {
        let subscription = self.subscribe(space);
        futures_util::stream::unfold(subscription, |mut subscription| async move {
            match subscription.receiver.recv().await {
                Ok(()) | Err(RecvError::Lagged(_)) => Some(((), subscription)),
                Err(RecvError::Closed) => None,
            }
        })
    }

    fn subscribe(&self, space: &str) -> Subscription {
        let mut spaces = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        let sender = spaces.entry(space.to_owned()).or_insert_with(|| broadcast::channel(16).0);
        Subscription {
            receiver: sender.subscribe(),
            space: space.to_owned(),
            listeners: self.listeners.clone(),
        }
    }

    /// Tells every listener of `space`, in every process, that it changed.
    pub(crate) async fn poke(&self, space: &str) {
        let Some(pool) = &self.notify else { return deliver(&self.listeners, space) };
        let notified =
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(space).execute(pool).await;
        if let Err(e) = notified {
            tracing::warn!(error = %e, "cannot notify other server processes; poking this one's listeners only");
            deliver(&self.listeners, space);
        }
    }
}

/// One listener of one space.
struct Subscription {
    receiver: broadcast::Receiver<()>,
    space: String,
    listeners: Listeners,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut spaces = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        // This subscription's own receiver still counts here: it is the last if it is one.
        if spaces.get(&self.space).is_some_and(|sender| sender.receiver_count() <= 1) {
            spaces.remove(&self.space);
        }
    }
}

fn deliver(listeners: &Listeners, space: &str) {
    let mut spaces = listeners.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(sender) = spaces.get(space)
        && sender.send(()).is_err()
    {
        // Nobody listens any more: forget the space until someone does.
        spaces.remove(space);
    }
}

/// Passes each notification on to this process's listeners, for as long as the process
/// runs. When the connection drops, every listened-to space is poked at once (a needless
/// pull costs little) and the listener reconnects on its next receive; a push in the gap
/// reaches this process's clients at their next pull, which their timers guarantee.
async fn relay(mut channel: PgListener, listeners: Listeners) {
    loop {
        match channel.try_recv().await {
            Ok(Some(notification)) => deliver(&listeners, notification.payload()),
            Ok(None) => {
                tracing::warn!("lost the poke channel; reconnecting");
                let spaces: Vec<String> =
                    listeners.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
                spaces.iter().for_each(|space| deliver(&listeners, space));
            }
            Err(e) => {
                tracing::warn!(error = %e, "the poke channel failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn spaces(pokes: &Pokes) -> Vec<String> {
        pokes.listeners.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    #[tokio::test]
    async fn a_space_is_forgotten_when_its_last_listener_leaves() {
        let pokes = Pokes::default();
        let first = Box::pin(pokes.listen("team"));
        let mut second = Box::pin(pokes.listen("team"));
        drop(first);
        assert_eq!(spaces(&pokes), ["team"], "one listener is left");
        pokes.poke("team").await;
        assert_eq!(second.next().await, Some(()), "and it still hears pokes");
        drop(second);
        assert!(spaces(&pokes).is_empty(), "nobody listens: nothing is kept");
    }
}
