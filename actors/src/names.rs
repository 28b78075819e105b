//! Registry names of one runtime's actors. Each runtime has its own prefix, so several
//! runtimes (one per test, or per profile) live side by side in one process.

#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
}

impl Names {
    pub fn new() -> Self {
        Self { prefix: format!("promptdeck-{}", ulid::Ulid::new()) }
    }

    pub fn supervisor(&self) -> String {
        format!("{}/supervisor", self.prefix)
    }

    /// The cache of the workspace syncing as `space`.
    pub fn cache(&self, space: &str) -> String {
        format!("{}/cache/{space}", self.prefix)
    }

    /// The SyncActor of the workspace syncing as `space`.
    pub fn sync(&self, space: &str) -> String {
        format!("{}/sync/{space}", self.prefix)
    }

    /// The process group of every SyncActor, for a nudge to all (after a sign-in).
    pub fn sync_group(&self) -> String {
        format!("{}/syncs", self.prefix)
    }

    pub fn auth(&self) -> String {
        format!("{}/auth", self.prefix)
    }

    pub fn queue(&self) -> String {
        format!("{}/queue", self.prefix)
    }
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}
