//! The key-value surface that mutators run against.

use std::collections::BTreeMap;

use serde_json::Value;

/// A transaction-scoped view of a replica's keys, as a Replicache `WriteTransaction` gives
/// a JavaScript mutator.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Value>, KvError>;
    fn put(&mut self, key: &str, value: Value) -> Result<(), KvError>;
    fn del(&mut self, key: &str) -> Result<(), KvError>;
    /// Every key that starts with `prefix`, in order.
    fn keys(&self, prefix: &str) -> Result<Vec<String>, KvError>;
}

/// The store behind a [`Kv`] failed; the mutation must not be considered applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct KvError(pub String);

/// An in-memory [`Kv`], for tests and for computing a mutation's effect before storing it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryKv(pub BTreeMap<String, Value>);

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Value>, KvError> {
        Ok(self.0.get(key).cloned())
    }

    fn put(&mut self, key: &str, value: Value) -> Result<(), KvError> {
        self.0.insert(key.to_owned(), value);
        Ok(())
    }

    fn del(&mut self, key: &str) -> Result<(), KvError> {
        self.0.remove(key);
        Ok(())
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let from =
            self.0.range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded));
        Ok(from.map(|(key, _)| key).take_while(|key| key.starts_with(prefix)).cloned().collect())
    }
}
