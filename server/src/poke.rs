//! Pokes: one broadcast per space in this process. On PostgreSQL, a push NOTIFYs a channel
//! that every server process LISTENs on, so a push to one process pokes the listeners of
//! all of them and the server scales out behind a load balancer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

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

    pub(crate) fn subscribe(&self, space: &str) -> broadcast::Receiver<()> {
        let mut spaces = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        spaces.entry(space.to_owned()).or_insert_with(|| broadcast::channel(16).0).subscribe()
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
