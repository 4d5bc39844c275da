//! A small in-memory [`DeliveryLog`] for testing the send logic (the real one lives in
//! storage). It follows the protocol of the crate docs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deskpulse_digest::delivery::{Claim, ClaimToken, DeliveryKey, DeliveryLog, LogError};

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Sending {
        token: ClaimToken,
        since: DateTime<Utc>,
    },
    Sent {
        at: DateTime<Utc>,
    },
}

#[derive(Default)]
pub struct MemoryLog {
    pub rows: Mutex<HashMap<DeliveryKey, State>>,
    next: AtomicU64,
    /// Makes `mark_sent` fail (the database went away after the send).
    pub fail_mark: AtomicBool,
}

#[async_trait]
impl DeliveryLog for MemoryLog {
    async fn claim(&self, key: &DeliveryKey, force: bool) -> Result<Claim, LogError> {
        let mut rows = self.rows.lock().unwrap();
        match rows.get(key) {
            Some(State::Sent { at }) if !force => return Ok(Claim::Sent { at: *at }),
            Some(State::Sending { since, .. }) if !force => {
                return Ok(Claim::Sending { since: *since });
            }
            _ => {}
        }
        let token = ClaimToken(format!("t{}", self.next.fetch_add(1, Ordering::SeqCst)));
        rows.insert(
            key.clone(),
            State::Sending {
                token: token.clone(),
                since: Utc::now(),
            },
        );
        Ok(Claim::Acquired(token))
    }

    async fn mark_sent(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError> {
        if self.fail_mark.load(Ordering::SeqCst) {
            return Err("database is gone".into());
        }
        let mut rows = self.rows.lock().unwrap();
        match rows.get(key) {
            Some(State::Sending { token: t, .. }) if t == token => {
                rows.insert(key.clone(), State::Sent { at: Utc::now() });
                Ok(())
            }
            _ => Err("not our claim".into()),
        }
    }

    async fn release(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError> {
        let mut rows = self.rows.lock().unwrap();
        if matches!(rows.get(key), Some(State::Sending { token: t, .. }) if t == token) {
            rows.remove(key);
        }
        Ok(())
    }
}

impl MemoryLog {
    pub fn state(&self, key: &DeliveryKey) -> Option<State> {
        self.rows.lock().unwrap().get(key).cloned()
    }
}
