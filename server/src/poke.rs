//! Pokes: one broadcast per space; every open poke stream of that space hears each push.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

#[derive(Clone, Default)]
pub(crate) struct Pokes(Arc<Mutex<HashMap<String, broadcast::Sender<()>>>>);

impl Pokes {
    pub(crate) fn subscribe(&self, space: &str) -> broadcast::Receiver<()> {
        let mut spaces = self.0.lock().unwrap_or_else(|p| p.into_inner());
        spaces.entry(space.to_owned()).or_insert_with(|| broadcast::channel(16).0).subscribe()
    }

    pub(crate) fn poke(&self, space: &str) {
        let mut spaces = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = spaces.get(space)
            && sender.send(()).is_err()
        {
            // Nobody listens any more: forget the space until someone does.
            spaces.remove(space);
        }
    }
}
