//! Typed checkpoints: a connector keeps its position in a `#[derive(Serialize, Deserialize)]`
//! struct and the SDK turns it into the stored JSON and back, so no connector reads
//! `cp.value().get("cursor")` by hand or spells its own "unreadable checkpoint" error.
//!
//! ```
//! use deskpulse_connector::{Checkpoint, CheckpointExt};
//! #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
//! struct UsersCp {
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     cursor: Option<String>,
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     start_time: Option<i64>,
//! }
//! let cp = Checkpoint::of(&UsersCp { cursor: Some("c1".into()), start_time: None });
//! assert_eq!(cp.value(), &serde_json::json!({"cursor": "c1"}));
//! assert_eq!(cp.parse_for::<UsersCp>("users").unwrap().cursor.as_deref(), Some("c1"));
//! ```
//!
//! **Keeping today's JSON.** The stored checkpoints of the five helpdesk connectors are plain
//! objects, so a port keeps them readable by choosing the struct's shape:
//! - either/or layouts (`{"cursor": …}` *or* `{"start_time": …}`): `Option` fields with
//!   `#[serde(default, skip_serializing_if = "Option::is_none")]`, or an
//!   `#[serde(untagged)]` enum of one struct per layout (most specific first);
//! - times stored as RFC 3339 text: `DateTime<Utc>` (chrono reads any RFC 3339; it writes
//!   `Z` and fractional seconds only when there are some), or a `String` field parsed by the
//!   connector when it wrote its own format;
//! - a `null` member: `Option<T>` with `#[serde(default)]` reads it as `None`;
//! - do **not** put `deny_unknown_fields` on a checkpoint type: a field a later version
//!   adds must not make an older reader fail, and an untagged enum needs the fallthrough.
//!
//! [`CheckpointExt::parse_for`] round-trips nothing: what it cannot read is
//! [`ConnectorError::bad_checkpoint`], the one error that tells the user to run `--full`.

use crate::{Checkpoint, ConnectorError, StreamRun};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Typed access to a [`Checkpoint`] (which lives in the model crate). Bring it into scope
/// (`use deskpulse_connector::CheckpointExt;`, or the [`crate::prelude`]) and write
/// `Checkpoint::of(&pos)` and `cp.parse_for::<Pos>("tickets")`.
pub trait CheckpointExt: Sized {
    /// The checkpoint of a position. A value that serde cannot write (a map with non-string
    /// keys) becomes `{}`, which the next read refuses with the `--full` hint; no type a
    /// connector should use for a position does that.
    fn of<T: Serialize + ?Sized>(position: &T) -> Self;

    /// The position stored in this checkpoint, or [`ConnectorError::bad_checkpoint`] naming
    /// `stream`, what serde missed, and the stored value.
    fn parse_for<T: DeserializeOwned>(&self, stream: &str) -> Result<T, ConnectorError>;

    /// [`CheckpointExt::parse_for`] for the stream the current [`StreamRun`] reads (the
    /// runner opens one around every poll of a stream); outside a run the error says "this
    /// stream".
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        let run = StreamRun::current();
        let stream = run.as_ref().map_or("(this stream)", |r| r.stream());
        self.parse_for(stream)
    }
}

impl CheckpointExt for Checkpoint {
    fn of<T: Serialize + ?Sized>(position: &T) -> Self {
        Checkpoint::new(serde_json::to_value(position).unwrap_or_else(|_| serde_json::json!({})))
    }

    fn parse_for<T: DeserializeOwned>(&self, stream: &str) -> Result<T, ConnectorError> {
        serde_json::from_value(self.value().clone()).map_err(|e| {
            ConnectorError::bad_checkpoint(
                stream,
                self.value(),
                format_args!("a checkpoint this connector writes ({e})"),
            )
        })
    }
}

/// Parses an optional stored checkpoint: `Ok(None)` when there is none (the first sync).
pub fn parse_optional<T: DeserializeOwned>(
    stream: &str,
    from: Option<&Checkpoint>,
) -> Result<Option<T>, ConnectorError> {
    from.map(|cp| cp.parse_for(stream)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde::Deserialize;
    use serde_json::json;

    /// Zendesk's cursor exports store `{"cursor": …}` or `{"start_time": …}` today.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum ExportPos {
        Cursor { cursor: String },
        StartTime { start_time: i64 },
    }

    #[test]
    fn zendesk_cursor_export_checkpoints_of_today_parse_as_an_untagged_enum() {
        let c = Checkpoint::new(json!({"cursor": "MTU3NjYxMzUzOS4wfHw0Njd8"}));
        assert_eq!(
            c.parse_for::<ExportPos>("tickets").unwrap(),
            ExportPos::Cursor {
                cursor: "MTU3NjYxMzUzOS4wfHw0Njd8".into()
            }
        );
        let t = Checkpoint::new(json!({"start_time": 1332034771}));
        assert_eq!(
            t.parse_for::<ExportPos>("tickets").unwrap(),
            ExportPos::StartTime {
                start_time: 1332034771
            }
        );
        // Written back exactly as it was stored.
        assert_eq!(
            Checkpoint::of(&t.parse_for::<ExportPos>("tickets").unwrap()),
            t
        );
    }

    /// Help Scout stores RFC 3339 seconds and `null`s.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct ConvPos {
        modified_since: Option<DateTime<Utc>>,
        #[serde(default)]
        page: Option<u64>,
        #[serde(default)]
        bookmark: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    }

    #[test]
    fn rfc3339_times_and_nulls_of_stored_checkpoints_round_trip() {
        let stored = json!({"modified_since": "2024-03-01T10:00:00Z", "page": 2, "bookmark": null});
        let pos: ConvPos = Checkpoint::new(stored.clone())
            .parse_for("conversations")
            .unwrap();
        assert_eq!(pos.page, Some(2));
        assert_eq!(pos.bookmark, None);
        assert_eq!(Checkpoint::of(&pos).value(), &stored);
    }

    #[test]
    fn an_unreadable_checkpoint_names_the_stream_the_value_and_the_fix() {
        let err = Checkpoint::new(json!({"cursr": 3}))
            .parse_for::<ExportPos>("tickets")
            .unwrap_err();
        let msg = err.to_string();
        for part in ["`tickets`", "{\"cursr\":3}", "--full"] {
            assert!(msg.contains(part), "{part} missing from {msg}");
        }
        assert!(matches!(err, ConnectorError::Malformed { .. }));
    }

    #[tokio::test]
    async fn parse_names_the_stream_of_the_current_run() {
        let run = StreamRun::new("acme", "users");
        let err = run
            .scope(async { Checkpoint::new(json!(1)).parse::<ExportPos>().unwrap_err() })
            .await;
        assert!(err.to_string().contains("stream `users`"), "{err}");
        assert!(
            parse_optional::<ExportPos>("users", None)
                .unwrap()
                .is_none()
        );
    }
}
