//! deskpulse-metrics: the KPI definitions of DESIGN.md as pure functions.
//!
//! **Architecture invariant:** no I/O, no SQL, no async. Storage hands a [`ReportInput`];
//! [`compute_report`] returns a [`KpiReport`] that serializes to the report JSON contract.

mod facts;
mod input;
mod render;
mod report;
mod stats;

pub use facts::{AgentIndex, ReplySample, TicketFacts, derive_facts};
pub use input::{AgentInput, RatingInput, ReportInput, Targets, TeamConfig, TicketInput};
pub use render::render_text;
pub use report::{
    AgentKpis, CountKpi, CsatBands, CsatKpi, FirstResponseKpi, KpiReport, Kpis, PeriodInfo, VolumeKpi,
    compute_report,
};
pub use stats::{CalendarTime, Clock, DurationStats, RateKpi, percentile_r7};
