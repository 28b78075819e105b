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

    pub fn cache(&self) -> String {
        format!("{}/cache", self.prefix)
    }

    pub fn sync(&self) -> String {
        format!("{}/sync", self.prefix)
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
