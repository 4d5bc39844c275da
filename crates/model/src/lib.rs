//! deskpulse-model: the normalized facts that customer-service KPIs are computed from.
//!
//! **Architecture invariant:** this crate does no I/O, knows nothing of HTTP, SQL or
//! configuration files. Every instant is UTC (`DateTime<Utc>`); a team's time zone appears
//! only in [`period`], at the edges of a reporting period.
//!
//! Records carry the identifiers the external system gave them (`external_id`); the source
//! they came from is known to whoever writes them (storage keys every row by
//! `(source, external_id)`), so records never repeat it.

mod batch;
mod freshness;
mod ids;
pub mod period;
mod records;

pub use batch::{Batch, Checkpoint};
pub use freshness::{LateChanges, SourceFreshness, ToldFigures};
pub use ids::{InvalidName, SourceName};
pub use period::{Period, PeriodSpec};
pub use records::{
    Agent, AuthorKind, Channel, Customer, InteractionKind, Message, Rating, RatingKind,
    RatingScale, RatingSnapshot, Record, RecordKind, Review, ReviewCoverage, SocialInteraction,
    SocialMetric, SocialStat, StatusChange, StatusHistory, Ticket, TicketRoster, TicketStatus,
    VendorDuration, VendorMetrics,
};
