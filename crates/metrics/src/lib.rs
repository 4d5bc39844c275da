//! deskpulse-metrics: the KPI definitions of DESIGN.md as pure functions.
//!
//! **Architecture invariant:** no I/O, no SQL, no async. Storage hands a [`ReportInput`];
//! [`compute_report`] returns a [`KpiReport`] that serializes to the report JSON contract.
//!
//! Where DESIGN is silent, these choices hold (each is pinned by a test):
//! - a ticket opened by a bot is outbound like one opened by an agent, and an `Agent` author
//!   whose account `is_bot` is a bot;
//! - the opening message is the first *public* message (private notes and system messages
//!   never open a ticket), a customer's message first among those of one instant (an
//!   auto-response stamped in the same second does not open it), and the first public
//!   customer message when the API says the customer opened the ticket; team messages up
//!   to the opening are no replies;
//! - when a ticket's current status contradicts its stored history (solved now, history
//!   ends open, or the reverse), the current status wins: a solve at the API's solve time
//!   (else the last update) or a reopen at the last update is added after the history;
//! - a ticket created in the period with no response and not solved is `waiting`; one solved
//!   without any response is neither waiting nor timed;
//! - a ticket solved now whose API gives no solve time (and no history) is out of the backlog
//!   from its last update on, but never counted as solved in a period;
//! - ratings of spam, deleted or merged tickets are excluded with their tickets;
//! - counts carry `n` equal to their value; `by_channel` lists only channels with tickets;
//! - CSAT `mean` is on a 1–5 scale (other numeric scales mapped linearly onto it);
//! - durations are calendar time ([`CalendarTime`]), rounded to the millisecond; whole
//!   numbers serialize as JSON integers. With `business_hours`, first response, reply and
//!   (first) resolution also carry `"business": {duration shape}` ([`BusinessTime`]); the
//!   key is absent otherwise. Business hours are read in the period's zone (`Period::tz`,
//!   the team's zone: one zone per team, no second setting to disagree with); a window
//!   belongs to the local date it opens on, a holiday closes that date's window, and
//!   `end <= start` is a night shift. The same targets apply in business seconds, and the
//!   target status uses the business median when there is one (and says so:
//!   `business_time`);
//! - NPS counts only answers on 0–10 and is rounded to one decimal; CES is the mean on the
//!   answers' own scale when they share one, else mapped onto 1–7; "easy" is the top third
//!   of the scale (5–7 of 7, 4–5 of 5). Surveys from every source count, helpdesk and
//!   imported (`RatingInput::source`), for CSAT, NPS and CES alike;
//! - churn counts only the customers of the start (customers active at the instant
//!   `start`; "at end" means active at the instant `end`), so churn + retention = 1 and a
//!   customer who joins and leaves inside the period is in neither;
//! - costs and revenue are spread evenly over the days of their month and summed over the
//!   period's local dates; a period with any date whose month is missing, or with mixed
//!   currencies, gets `null` (its `n` says how many days were known). A month period uses
//!   the month's figure exactly;
//! - complaints: tickets created in the period carrying a `complaint_tags` tag (any case)
//!   plus reviews of the period rated ≤ 2 of 5;
//! - converted: inbound tickets created in the period with a human reply and a requester
//!   whose e-mail hash is known ([`RequesterInput`]); converted when that customer ordered in
//!   `[first human reply, + 5 days)`; revenue sums each order once, per currency;
//! - reviews: created in the period, deduplicated by (platform, id); "answered" and reply
//!   time are as of the data handed over; stars are rounded into 1–5;
//! - social: value = last observation at or before `end`, change against the last one at
//!   or before `start` (`null` without one);
//! - trends compare the headline figure (durations by calendar median); the anomaly flag
//!   uses the sample σ (n − 1) of the 8 previous periods, all of which must have a value;
//!   the forecast is simple exponential smoothing with an 80 % interval (see [`Forecast`]).
//!   [`compute_report`] fills `targets` and target-based `suggestions` ([`judge`]);
//!   [`attach_history`] adds `trends`, `forecast` and the trend-based suggestions. These
//!   are the only verdicts: readers (the digest) render them and judge nothing themselves.

mod commerce;
mod facts;
mod hours;
mod input;
mod insights;
mod public;
mod reconcile;
mod render;
mod report;
mod social;
mod stats;
mod surveys;
mod trust;

pub use commerce::{
    CONVERSION_WINDOW_DAYS, ChurnKpi, ConvertedKpi, CostPerTicketKpi, CostRatioKpi, RetentionKpi,
};
pub use facts::{AgentIndex, OpenSpan, ReplySample, TicketFacts, derive_facts};
pub use hours::{BusinessCalendar, BusinessTime, local_instant};
pub use input::{
    AgentInput, BacklogCount, BusinessHours, MonthlyAmount, OrderInput, RatingInput,
    RatingSnapshotInput, ReportInput, RequesterInput, ReviewInput, SocialInput,
    SocialInteractionInput, SourceLimit, SubscriptionInput, Targets, TeamConfig, TicketInput,
};
pub use insights::{
    ANOMALY_SIGMAS, ANOMALY_WINDOW, BacktestError, Better, CSAT_DROP, Forecast, HEADLINE, KpiTrend,
    MAX_HISTORY, MIN_FORECAST_PERIODS, REOPEN_RISE, StaffingHint, Suggestion, TRAILING_WINDOW,
    TargetCheck, TargetVerdict, Trends, attach_history, backtest, compute_trends, forecast_volume,
    headline_value, judge, ses_forecast,
};
pub use public::{
    ComplaintsKpi, NEGATIVE_REVIEW, PlatformReviews, REPLY_OVERDUE_HOURS, ReviewQuote, ReviewStats,
    ReviewsKpi, SocialKpi, UNANSWERED_NEGATIVE, WORST_REVIEWS, platform_label,
};
pub use reconcile::{
    Agreement, KpiReconcile, Reason, ReasonTickets, ReconcileInput, ReconcileReport, Side,
    TICKETS_PER_REASON, TOLERANCE_SECONDS, reconcile,
};
pub use render::render_text;
pub use report::{
    AgentKpis, CountKpi, CsatBands, CsatKpi, FirstResponseKpi, HourKpi, KpiReport, Kpis,
    PeriodInfo, TagKpi, VolumeKpi, compute_report, compute_reports,
};
pub use social::{PublicResponseKpi, ResponseStats};
pub use stats::{CalendarTime, Clock, DurationKpi, DurationStats, RateKpi, percentile_r7};
pub use surveys::{CesKpi, NpsKpi};
pub use trust::{
    FAILING_AFTER_HOURS, FigureKind, FreshnessLine, RESTATEMENT_THRESHOLD, RestatedFigure,
    Restatement, TOLD_FIGURES, attach_freshness, judge_freshness, local_time, restate,
    told_figures,
};
