//! A page of records and the checkpoint committed with it.

use crate::Record;

/// Where a stream stands: opaque to everyone but the connector that wrote it. Storage keeps
/// one per `(source, stream)` and commits it in the same transaction as the records it
/// follows, so a resumed sync starts exactly after the last committed page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Checkpoint(pub serde_json::Value);

impl Checkpoint {
    pub fn new(v: serde_json::Value) -> Self {
        Self(v)
    }
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }
}

/// One page of a stream: its records and the checkpoint to resume after them.
/// A connector yields a batch per page it read; storage writes records and checkpoint in one
/// transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub records: Vec<Record>,
    pub checkpoint: Checkpoint,
}
