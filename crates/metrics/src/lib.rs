//! deskpulse-metrics: the KPI definitions of DESIGN.md as pure functions.
//!
//! **Architecture invariant:** no I/O, no SQL, no async. Storage hands a [`ReportInput`];
//! [`compute_report`] returns a [`KpiReport`] that serializes to the report JSON contract.
//!
//! Where DESIGN is silent, these choices hold (each is pinned by a test):
//! - a ticket opened by a bot is outbound like one opened by an agent, and an `Agent` author
//!   whose account `is_bot` is a bot;
//! - a ticket created in the period with no response and not solved is `waiting`; one solved
//!   without any response is neither waiting nor timed;
//! - a ticket solved now whose API gives no solve time (and no history) is out of the backlog
//!   from its last update on, but never counted as solved in a period;
//! - ratings of spam, deleted or merged tickets are excluded with their tickets;
//! - counts carry `n` equal to their value; `by_channel` lists only channels with tickets;
//! - CSAT `mean` is on a 1–5 scale (other numeric scales mapped linearly onto it);
//! - durations are calendar time ([`CalendarTime`], the [`Clock`] seam for business hours),
//!   rounded to the millisecond; whole numbers serialize as JSON integers.

mod commerce;
mod facts;
mod hours;
mod input;
mod public;
mod render;
mod report;
mod stats;
mod surveys;

pub use commerce::{
    CONVERSION_WINDOW_DAYS, ChurnKpi, ConvertedKpi, CostPerTicketKpi, CostRatioKpi, RetentionKpi,
};
pub use facts::{AgentIndex, ReplySample, TicketFacts, derive_facts};
pub use hours::{BusinessTime, local_instant};
pub use input::{
    AgentInput, BusinessHours, MonthlyAmount, OrderInput, RatingInput, ReportInput, RequesterInput,
    ReviewInput, SocialInput, SubscriptionInput, Targets, TeamConfig, TicketInput,
};
pub use public::{ComplaintsKpi, NEGATIVE_REVIEW, ReviewStats, ReviewsKpi, SocialKpi};
pub use render::render_text;
pub use report::{
    AgentKpis, CountKpi, CsatBands, CsatKpi, FirstResponseKpi, HourKpi, KpiReport, Kpis,
    PeriodInfo, TagKpi, VolumeKpi, compute_report,
};
pub use stats::{CalendarTime, Clock, DurationKpi, DurationStats, RateKpi, percentile_r7};
pub use surveys::{CesKpi, NpsKpi};
