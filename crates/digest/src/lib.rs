//! deskpulse-digest: the weekly digest a manager reads.
//!
//! * [`Digest::build`] turns a team's [`KpiReport`](deskpulse_metrics::KpiReport) and the
//!   reports of the periods before it into a [`Digest`] (pure, no I/O). The metrics crate is
//!   the only judge: target status, anomalies, trailing means, the forecast and the
//!   suggestions are the report's own, never decided here (see [`Digest`]'s module).
//! * Renderers: [`render_text`] (terminal, e-mail text part), [`render_html`] (HTML e-mail
//!   with inline PNG trend charts referenced by `cid:`), [`render_slack`] (Block Kit within
//!   Slack's limits).
//! * How fresh and how final the numbers are ([`trust`]): per source the instant its data
//!   is complete through (in the header), a banner and an `[incomplete] ` subject when the
//!   report found the period incomplete, a source failing for over a day first under "Needs
//!   attention", and the earlier periods restated since the team was told them (after the
//!   headline KPIs). All are the report's verdicts
//!   ([`attach_freshness`](deskpulse_metrics::attach_freshness),
//!   [`restate`](deskpulse_metrics::restate)), rendered.
//! * Untrusted text (agent names, review texts, survey comments, tags, the team name) is cut
//!   to the same limits in every format ([`escape::truncate`], [`escape::NAME_CHARS`] and
//!   friends), then escaped for each format: askama's auto-escaping for HTML,
//!   [`escape::slack`] for Slack mrkdwn ([`escape::slack_literal`] where a source name or a
//!   vendor's error text must not format either), [`escape::plain`] for text.
//!
//! A section with no data is left out of every format, never shown empty or as zeros.
//!
//! * Delivery ([`delivery`]): [`SmtpSender`](delivery::SmtpSender) (lettre; `starttls`,
//!   `tls`, or `none` towards localhost only; no form of the password in any log line,
//!   whatever the log filter) sends a multipart/alternative e-mail (text, and HTML with its
//!   charts as inline parts); [`SlackWebhook`](delivery::SlackWebhook) posts to an incoming
//!   webhook, retried only when the post provably did not arrive (connection not made, 429),
//!   the webhook URL never logged. [`send_once`](delivery::send_once) guards each send with
//!   a [`DeliveryLog`](delivery::DeliveryLog): claim before send, **at most once** when the
//!   process dies between the send and the log write or the outcome of a send is unknown
//!   ([`DeliveryError::Uncertain`](delivery::DeliveryError::Uncertain); the module docs say
//!   why).
//!
//! **Architecture invariant:** building and rendering are pure (no I/O, no clock); only
//! [`delivery`] talks to the network.

pub mod chart;
pub mod delivery;
pub mod escape;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
mod html;
mod model;
pub mod slack;
mod text;
pub mod trust;

pub use html::{HtmlEmail, InlineImage, RenderError, render_html};
pub use model::{
    AgentRow, Attention, ChannelRow, CostsSection, Digest, DigestInput, ForecastSection, Kpi,
    PlatformRow, Polarity, Quote, ResponseRow, ReviewsSection, SocialRow, TREND_PERIODS, Target,
    TargetVerdict, Unit, VendorCheck, format_value,
};
pub use slack::{Block, SlackMessage, Text, check_limits, render_slack};
pub use text::render_text;

/// A digest rendered for every format at once: what the CLI previews and the senders send.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedDigest {
    /// The e-mail subject: team, period and the number of targets the report found missed,
    /// after `[incomplete] ` when the report found the period's data incomplete.
    pub subject: String,
    pub text: String,
    pub html: HtmlEmail,
    pub slack: SlackMessage,
}

impl RenderedDigest {
    pub fn render(d: &Digest) -> Result<Self, RenderError> {
        let title = format!("{}{}", d.trust.subject_tag(), d.title());
        let subject = match d.missed_targets() {
            0 => title,
            1 => format!("{title} — 1 target missed"),
            n => format!("{title} — {n} targets missed"),
        };
        Ok(RenderedDigest {
            subject: escape::plain(&subject),
            text: render_text(d),
            html: render_html(d)?,
            slack: render_slack(d),
        })
    }
}
