//! `deskpulse digest preview|send`: a team's digest of a period, rendered from its report
//! and the previous periods' reports, previewed or delivered to the team's channels at most
//! once per (team, period, channel) through the storage delivery log.
//!
//! The digest crate's [`DeliveryLog`] is implemented here, on [`StoreLog`] (a newtype around
//! [`Store`] calling storage's own delivery-log API), because storage and digest are siblings
//! in the dependency order (cli → scheduler → {digest, storage, connectors}): neither may
//! depend on the other. The SQL stays in storage; this adapter only maps the types. When the
//! scheduler crate lands it can take this adapter over.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deskpulse_digest::delivery::{
    Claim, ClaimToken, Delivery, DeliveryError, DeliveryKey, DeliveryLog, EmailChannel, LogError,
    SlackWebhook, SmtpSecurity, SmtpSender, send_once,
};
use deskpulse_digest::{Digest, DigestInput, RenderedDigest};
use deskpulse_model::{PeriodSpec, Rating, Review, ToldFigures};
use deskpulse_storage::{DeliveryClaim, Store};

use crate::CommandError;
use crate::cli::{DigestCommand, DigestFormat, DigestPreviewArgs, DigestSendArgs};
use crate::config::{self, ChannelSettings, Settings, TeamSettings};

pub(crate) async fn run(settings: &Settings, command: DigestCommand) -> Result<(), CommandError> {
    match command {
        DigestCommand::Preview(a) => preview(settings, a).await,
        DigestCommand::Send(a) => send(settings, a).await,
    }
}

fn period_spec(team: &TeamSettings, period: Option<&str>) -> Result<PeriodSpec, CommandError> {
    match period {
        Some(p) => p
            .parse::<PeriodSpec>()
            .map_err(|e| CommandError::Usage(e.to_string())),
        None => Ok(PeriodSpec::last_complete_week(Utc::now(), team.timezone)),
    }
}

async fn open_store(settings: &Settings) -> Result<Store, CommandError> {
    Store::open(&settings.database.url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))
}

/// Builds the team's digest of `spec` (report, history, the period's reviews and survey
/// comments) and renders it in every format.
pub(crate) async fn render(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<RenderedDigest, CommandError> {
    Ok(render_with_warnings(store, team, spec, &[]).await?.0)
}

/// What a rendered digest tells beyond its pictures: whether its data was complete, what
/// each late source misses, and the figures to record as told once it is delivered (its
/// own period's, and those of each period it restates).
pub(crate) struct Told {
    pub complete: bool,
    /// `source: what it misses`, for each source not complete through the period's end.
    pub late: Vec<String>,
    pub figures: Vec<ToldFigures>,
}

impl Told {
    /// Records the figures as told (after at least one channel got the digest).
    pub(crate) async fn record(&self, store: &Store, team: &str) -> Result<(), CommandError> {
        for f in &self.figures {
            store
                .record_told_figures(team, f)
                .await
                .map_err(|e| CommandError::Runtime(e.to_string()))?;
        }
        Ok(())
    }
}

/// [`render`], with warnings for the attention box — sources that failed every sync of the
/// period, as `(source, last error)`, so a manager learns the numbers may be incomplete —
/// and what the digest tells ([`Told`]). The report carries its freshness and the
/// restatements of the earlier periods the team was told about.
pub(crate) async fn render_with_warnings(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
    failing_sources: &[(String, String)],
) -> Result<(RenderedDigest, Told), CommandError> {
    let mut computed = crate::report::compute_with_history(store, team, spec).await?;
    let earlier: Vec<&deskpulse_metrics::KpiReport> = computed.history.iter().collect();
    computed.report.restatements = crate::report::restatements(store, team, &earlier).await?;
    let now = Utc::now();
    let mut figures = vec![ToldFigures {
        period: computed.report.period.label.clone(),
        told_at: now,
        values: deskpulse_metrics::told_figures(&computed.report),
    }];
    for r in &computed.report.restatements {
        if let Some(h) = computed.history.iter().find(|h| h.period.label == r.period) {
            figures.push(ToldFigures {
                period: r.period.clone(),
                told_at: now,
                values: deskpulse_metrics::told_figures(h),
            });
        }
    }
    let told = Told {
        complete: computed.report.data_complete != Some(false),
        late: computed
            .report
            .freshness
            .iter()
            .filter_map(|f| Some(format!("{}: {}", f.data.source, f.missing.as_ref()?)))
            .collect(),
        figures,
    };
    // A source the report already calls failing (for more than a day) is said once.
    let failing_sources: Vec<&(String, String)> = failing_sources
        .iter()
        .filter(|(s, _)| {
            !computed
                .report
                .freshness
                .iter()
                .any(|f| f.failing && &f.data.source == s)
        })
        .collect();
    let period = spec.in_zone(team.timezone);
    let within = |t: DateTime<Utc>| period.start <= t && t < period.end;
    let reviews: Vec<Review> = computed
        .input
        .reviews
        .iter()
        .filter(|r| within(r.review.created_at))
        .map(|r| r.review.clone())
        .collect();
    let ratings: Vec<Rating> = computed
        .input
        .ratings
        .iter()
        .filter(|r| within(r.rating.created_at))
        .map(|r| r.rating.clone())
        .collect();
    let mut digest = Digest::build(&DigestInput {
        report: &computed.report,
        history: &computed.history,
        reviews: &reviews,
        ratings: &ratings,
    });
    digest.vendor_checks = vendor_checks(store, team, spec).await?;
    for (source, error) in failing_sources {
        digest.attention.insert(
            0,
            deskpulse_digest::Attention {
                kpi: "sync",
                message: format!(
                    "Source {source} failed every sync of this period, so its numbers are incomplete (last error: {error})"
                ),
            },
        );
    }
    // Charts are CPU work (plotters): off the async workers.
    let rendered = tokio::task::spawn_blocking(move || RenderedDigest::render(&digest))
        .await
        .map_err(|e| CommandError::Runtime(format!("the digest renderer failed: {e}")))?
        .map_err(|e| CommandError::Runtime(format!("cannot render the digest: {e}")))?;
    Ok((rendered, told))
}

/// Sources whose first response or resolution agree with the vendor's own per-ticket
/// figures on fewer than 90 % of the period's tickets, with the main reason (the lines the
/// digest adds under "More KPIs"). Sources whose vendor keeps no such figures give none.
async fn vendor_checks(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<Vec<deskpulse_digest::VendorCheck>, CommandError> {
    let sources: Vec<String> = team.sources.iter().map(|s| s.to_string()).collect();
    let reports = crate::reconcile::compute(store, team, &sources, spec).await?;
    let mut out = Vec::new();
    for r in &reports {
        for (key, label) in [
            ("first_response_time", "first response"),
            ("resolution_time", "resolution"),
        ] {
            let Some(k) = r.kpis.get(key).filter(|_| !r.unsupported.contains_key(key)) else {
                continue;
            };
            let (Some(share), Some(reason)) = (k.agree.share, r.main_reason(key)) else {
                continue;
            };
            if share < deskpulse_digest::VendorCheck::THRESHOLD {
                out.push(deskpulse_digest::VendorCheck {
                    source: r.source.clone(),
                    kpi: label,
                    share,
                    tickets: k.agree.tickets,
                    reason: reason.describe().to_owned(),
                });
            }
        }
    }
    Ok(out)
}

// ---- preview ----

async fn preview(settings: &Settings, args: DigestPreviewArgs) -> Result<(), CommandError> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(CommandError::Usage)?;
    let spec = period_spec(team, args.period.as_deref())?;
    let store = open_store(settings).await?;
    let rendered = render(&store, team, spec).await?;
    match args.format {
        DigestFormat::Html => match &args.out {
            Some(out) => {
                let path = write_html(&rendered, out)?;
                println!(
                    "wrote {} and {} chart image(s) next to it",
                    path.display(),
                    rendered.html.images.len()
                );
            }
            None => print!("{}", rendered.html.html),
        },
        DigestFormat::Text => output(args.out.as_deref(), &rendered.text)?,
        DigestFormat::Slack => {
            let json = serde_json::to_string_pretty(&rendered.slack).map_err(|e| {
                CommandError::Runtime(format!("cannot serialize the Slack message: {e}"))
            })?;
            output(args.out.as_deref(), &format!("{json}\n"))?;
        }
    }
    Ok(())
}

fn output(out: Option<&Path>, text: &str) -> Result<(), CommandError> {
    match out {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => {
            write_file(path, text.as_bytes())?;
            println!("wrote {}", path.display());
            Ok(())
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    std::fs::write(path, bytes)
        .map_err(|e| CommandError::Runtime(format!("cannot write {}: {e}", path.display())))
}

/// Writes the HTML e-mail with its charts as PNG files next to it (the `cid:` references
/// replaced by the file names): `out` is a directory (created if missing; the HTML becomes
/// `digest.html` in it) or, when it ends in `.html`/`.htm`, the HTML file itself. Returns the
/// HTML file's path.
pub(crate) fn write_html(rendered: &RenderedDigest, out: &Path) -> Result<PathBuf, CommandError> {
    let is_file = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    let (dir, file) = if is_file {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        (dir, out.to_path_buf())
    } else {
        (out.to_path_buf(), out.join("digest.html"))
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::Runtime(format!("cannot create {}: {e}", dir.display())))?;
    for img in &rendered.html.images {
        // The renderer names its files; keep them inside `dir` whatever they are.
        let name = Path::new(&img.filename).file_name().ok_or_else(|| {
            CommandError::Runtime(format!("bad image file name {:?}", img.filename))
        })?;
        write_file(&dir.join(name), &img.png)?;
    }
    write_file(&file, rendered.html.html_with_files().as_bytes())?;
    Ok(file)
}

// ---- send ----

/// The digest crate's delivery log on storage (see the module docs).
pub(crate) struct StoreLog(pub Store);

#[async_trait]
impl DeliveryLog for StoreLog {
    async fn claim(&self, key: &DeliveryKey, force: bool) -> Result<Claim, LogError> {
        Ok(
            match self
                .0
                .claim_delivery(&key.team, &key.period, &key.channel, force)
                .await?
            {
                DeliveryClaim::Acquired { token } => Claim::Acquired(ClaimToken(token)),
                DeliveryClaim::Sent { at } => Claim::Sent { at },
                DeliveryClaim::Sending { since } => Claim::Sending { since },
            },
        )
    }

    async fn mark_sent(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError> {
        if self
            .0
            .mark_delivery_sent(&key.team, &key.period, &key.channel, &token.0)
            .await?
        {
            Ok(())
        } else {
            Err(format!(
                "the claim on {}/{}/{} is no longer ours (another run took it over with --force)",
                key.team, key.period, key.channel
            )
            .into())
        }
    }

    async fn release(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError> {
        self.0
            .release_delivery(&key.team, &key.period, &key.channel, &token.0)
            .await?;
        Ok(())
    }
}

/// `[smtp]` of the config file → the digest crate's settings.
pub(crate) fn smtp_settings(s: &config::SmtpSettings) -> deskpulse_digest::delivery::SmtpSettings {
    let security = match s.security {
        config::SmtpSecurity::Starttls => SmtpSecurity::Starttls,
        config::SmtpSecurity::Tls => SmtpSecurity::Tls,
        config::SmtpSecurity::None => SmtpSecurity::None,
    };
    let mut out = deskpulse_digest::delivery::SmtpSettings::new(&s.host, s.port, security, &s.from);
    out.username = s.username.clone();
    out.password = s.password.clone();
    out.tls_ca_pem = s.ca_pem.clone();
    out
}

/// A channel ready to send to.
pub(crate) enum Target<'a> {
    Email {
        name: &'a str,
        to: EmailChannel,
        sender: SmtpSender,
    },
    Slack {
        name: &'a str,
        webhook: SlackWebhook,
    },
}

impl Target<'_> {
    fn name(&self) -> &str {
        match self {
            Target::Email { name, .. } | Target::Slack { name, .. } => name,
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Email { name, to, .. } => {
                format!("{name} (e-mail to {})", to.to.join(", "))
            }
            Target::Slack { name, .. } => format!("{name} (Slack webhook)"),
        }
    }

    async fn send(&self, r: &RenderedDigest) -> Result<(), DeliveryError> {
        match self {
            Target::Email { to, sender, .. } => {
                sender.send_digest(&r.subject, &r.text, &r.html, to).await
            }
            Target::Slack { webhook, .. } => webhook.post(&r.slack).await,
        }
    }
}

fn channel_name(c: &ChannelSettings) -> &str {
    match c {
        ChannelSettings::Email { name, .. } | ChannelSettings::Slack { name, .. } => name,
    }
}

/// The team's channels (or the one named), each with its sender built: every settings
/// problem is a usage error (exit 2) before anything is rendered or sent.
fn targets<'a>(
    settings: &Settings,
    team: &'a TeamSettings,
    only: Option<&str>,
) -> Result<Vec<Target<'a>>, CommandError> {
    if team.channels.is_empty() {
        return Err(CommandError::Usage(format!(
            "team {:?} has no channels: add a [[teams.channels]] with kind = \"email\" (and `to`) or kind = \"slack\" (and `webhook_url`) to {}",
            team.name,
            settings.path.display()
        )));
    }
    // The delivery log is keyed by the channel's name: two channels may not share one.
    let mut names = std::collections::BTreeSet::new();
    for c in &team.channels {
        if !names.insert(channel_name(c)) {
            return Err(CommandError::Usage(format!(
                "team {:?} has two channels named {:?} in {}: give each [[teams.channels]] its own `name` (deliveries are recorded per name)",
                team.name,
                channel_name(c),
                settings.path.display()
            )));
        }
    }
    let selected: Vec<&ChannelSettings> = match only {
        None => team.channels.iter().collect(),
        Some(n) => {
            let c: Vec<_> = team
                .channels
                .iter()
                .filter(|c| channel_name(c) == n)
                .collect();
            if c.is_empty() {
                return Err(CommandError::Usage(format!(
                    "team {:?} has no channel named {n:?} (channels: {})",
                    team.name,
                    team.channels
                        .iter()
                        .map(channel_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            c
        }
    };
    let mut sender: Option<SmtpSender> = None;
    let mut out = Vec::new();
    for c in selected {
        match c {
            ChannelSettings::Email { name, to } => {
                let sender = match &sender {
                    Some(s) => s.clone(),
                    None => {
                        let smtp = settings.smtp.as_ref().ok_or_else(|| {
                            CommandError::Usage(format!(
                                "channel {name:?} of team {:?} sends e-mail, but {} has no [smtp] section: add `smtp` with host, port, security, username, password and from",
                                team.name,
                                settings.path.display()
                            ))
                        })?;
                        let s = SmtpSender::new(&smtp_settings(smtp))
                            .map_err(|e| CommandError::Usage(format!("[smtp]: {e}")))?;
                        sender = Some(s.clone());
                        s
                    }
                };
                out.push(Target::Email {
                    name,
                    to: EmailChannel { to: to.clone() },
                    sender,
                });
            }
            ChannelSettings::Slack { name, webhook_url } => {
                let webhook = SlackWebhook::new(webhook_url)
                    .map_err(|e| CommandError::Usage(format!("channel {name:?}: {e}")))?;
                out.push(Target::Slack { name, webhook });
            }
        }
    }
    Ok(out)
}

fn when(t: DateTime<Utc>, team: &TeamSettings) -> String {
    t.with_timezone(&team.timezone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

async fn send(settings: &Settings, args: DigestSendArgs) -> Result<(), CommandError> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(CommandError::Usage)?;
    let spec = period_spec(team, args.period.as_deref())?;
    let targets = targets(settings, team, args.channel.as_deref())?;
    let store = open_store(settings).await?;
    let (rendered, told) = render_with_warnings(&store, team, spec, &[]).await?;
    let period = spec.to_string();
    if !told.complete {
        let late = told.late.join("; ");
        if args.require_complete {
            return Err(CommandError::Runtime(format!(
                "the data of {period} is not complete ({late}): not sending (--require-complete). Run `deskpulse sync` and try again, or send without --require-complete to send it with the incomplete-data banner"
            )));
        }
        println!(
            "note: the data of {period} is not complete ({late}); the digest carries the incomplete-data banner (use --require-complete to refuse instead)"
        );
    }

    if args.dry_run {
        println!(
            "dry run: the digest of team {:?} for {period}, subject {:?} (text {} characters, HTML {} KB with {} chart image(s), Slack {} block(s)); nothing is sent or recorded",
            team.name,
            rendered.subject,
            rendered.text.chars().count(),
            rendered.html.html.len().div_ceil(1024),
            rendered.html.images.len(),
            rendered.slack.blocks.len(),
        );
        for t in &targets {
            let state = store
                .delivery(&team.name, &period, t.name())
                .await
                .map_err(|e| CommandError::Runtime(e.to_string()))?;
            let note = match state {
                None => "would send".to_owned(),
                Some(r) => match r.sent_at {
                    Some(at) if args.force => {
                        format!("would send again (--force; sent on {})", when(at, team))
                    }
                    Some(at) => format!(
                        "would skip: already sent on {} (use --force to send again)",
                        when(at, team)
                    ),
                    None if args.force => format!(
                        "would send again (--force; in progress since {})",
                        when(r.claimed_at, team)
                    ),
                    None => format!("would skip: in progress since {}", when(r.claimed_at, team)),
                },
            };
            println!("{}: {note}", t.describe());
        }
        return Ok(());
    }

    let mut failed = Vec::new();
    let mut sent = false;
    for (target, outcome) in deliver(&store, team, &period, &targets, &rendered, args.force).await {
        let line = match outcome {
            Ok(Delivery::Sent) => {
                sent = true;
                "sent".to_owned()
            }
            Ok(Delivery::AlreadySent { at }) => format!(
                "already sent on {} (use --force to send again)",
                when(at, team)
            ),
            Ok(Delivery::InProgress { since }) => format!(
                "in progress since {} (a previous send may have died after sending; check the channel, then --force)",
                when(since, team)
            ),
            Err(e) => {
                failed.push(target.name().to_owned());
                format!("failed: {e}")
            }
        };
        println!("{}: {line}", target.describe());
    }
    if sent {
        told.record(&store, &team.name).await?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Runtime(format!(
            "the digest of {period} could not be delivered to {} of {} channel(s): {}",
            failed.len(),
            targets.len(),
            failed.join(", ")
        )))
    }
}

/// Delivers a rendered digest to each target at most once per (team, period, channel),
/// through the storage delivery log; `force` sends again what was sent.
pub(crate) async fn deliver<'t, 'a>(
    store: &Store,
    team: &TeamSettings,
    period: &str,
    targets: &'t [Target<'a>],
    rendered: &RenderedDigest,
    force: bool,
) -> Vec<(&'t Target<'a>, Result<Delivery, DeliveryError>)> {
    let log = StoreLog(store.clone());
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let key = DeliveryKey::new(team.name.clone(), period.to_owned(), t.name());
        out.push((t, send_once(&log, &key, force, || t.send(rendered)).await));
    }
    out
}

/// What the daemon's digest job does: render the team's digest of `spec` (with warnings for
/// failing sources) and deliver it once to every channel. Returns (delivered, already sent,
/// failures as text).
pub(crate) async fn send_scheduled(
    settings: &Settings,
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
    failing_sources: &[(String, String)],
) -> Result<(u64, u64, Vec<String>), CommandError> {
    let targets = targets(settings, team, None)?;
    let (rendered, told) = render_with_warnings(store, team, spec, failing_sources).await?;
    let (mut sent, mut already, mut failed) = (0, 0, Vec::new());
    for (t, outcome) in deliver(store, team, &spec.to_string(), &targets, &rendered, false).await {
        crate::serve::delivery_finished(&team.name, t.name(), &outcome);
        match outcome {
            Ok(Delivery::Sent) => sent += 1,
            Ok(Delivery::AlreadySent { .. } | Delivery::InProgress { .. }) => already += 1,
            Err(e) => failed.push(format!("{}: {e}", t.describe())),
        }
    }
    if sent > 0 {
        told.record(store, &team.name).await?;
    }
    Ok((sent, already, failed))
}
