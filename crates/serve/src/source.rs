//! Where the server's numbers come from: the [`Reports`] the caller supplies.
//!
//! The server never computes a report its own way. The CLI implements [`Reports`] with the
//! very function `deskpulse report` calls (the period's load, the history's load,
//! `compute_report`, `attach_history`), so `/api/teams/{team}/report` is exactly what
//! `report --format json` prints and every page shows the same numbers.

use async_trait::async_trait;
use chrono_tz::Tz;
use deskpulse_metrics::KpiReport;
use deskpulse_model::{PeriodSpec, Rating, Review};

/// A configured team, as the pages list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamInfo {
    /// Untrusted (from the configuration, shown on every page: escaped like any text).
    pub name: String,
    pub timezone: Tz,
    /// Its `[[sources]]` names.
    pub sources: Vec<String>,
}

/// A team's report of one period, with what the pages need around it.
#[derive(Debug, Clone)]
pub struct TeamReport {
    /// Exactly what `deskpulse report` computes: history attached (trends, forecast,
    /// suggestions).
    pub report: KpiReport,
    /// The previous periods' reports, most recent first (at most 12; periods before the
    /// team's data begins are left out).
    pub history: Vec<KpiReport>,
    /// The period's reviews and survey answers, for quoting (as the digest does).
    pub reviews: Vec<Review>,
    pub ratings: Vec<Rating>,
}

/// Why a report could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("no team named {0:?}")]
    NoTeam(String),
    /// Computing it failed; the text is already free of secrets.
    #[error("{0}")]
    Failed(String),
}

/// The reports a server shows.
#[async_trait]
pub trait Reports: Send + Sync + 'static {
    /// The configured teams, in the configuration's order.
    fn teams(&self) -> &[TeamInfo];

    /// `team`'s report of `period`, as `deskpulse report --period PERIOD` computes it.
    async fn report(&self, team: &str, period: PeriodSpec) -> Result<TeamReport, ReportError>;

    /// A value that changes whenever the data behind the reports may have changed (a sync
    /// committed, a source's freshness moved). Cached reports are recomputed when it does.
    async fn data_version(&self) -> Result<u64, ReportError>;

    /// Prepares, in the background, what the reports of `period` and of the periods before
    /// it need, so that their first views are fast. The server calls it for each team's
    /// current week and month at start and after each data change; the default does
    /// nothing.
    async fn warm(&self, _team: &str, _period: PeriodSpec) -> Result<(), ReportError> {
        Ok(())
    }
}
