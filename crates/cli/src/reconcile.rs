//! `deskpulse reconcile`: our KPIs next to the helpdesk's own per-ticket figures, source by
//! source, with the reasons they differ (see `deskpulse_metrics::reconcile`).

use std::fmt::Write as _;

use crate::CommandError;
use crate::cli::{ReconcileArgs, ReconcileFormat};
use crate::config::{Settings, SourceSettings, TeamSettings};
use deskpulse_metrics::{ReconcileReport, TICKETS_PER_REASON};
use deskpulse_model::PeriodSpec;

pub(crate) async fn run(settings: &Settings, args: ReconcileArgs) -> Result<(), CommandError> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(CommandError::Usage)?;
    let spec = match &args.period {
        Some(p) => p
            .parse::<PeriodSpec>()
            .map_err(|e| CommandError::Usage(e.to_string()))?,
        None => PeriodSpec::last_complete_week(chrono::Utc::now(), team.timezone),
    };
    let sources: Vec<String> = team_sources(settings, team, args.source.as_deref())?
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    let store = deskpulse_storage::Store::open(&settings.database.url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let reports = compute(&store, team, &sources, spec).await?;
    match args.format {
        ReconcileFormat::Json => {
            let json = match reports.as_slice() {
                [one] => serde_json::to_string_pretty(one),
                many => serde_json::to_string_pretty(many),
            }
            .map_err(|e| CommandError::Runtime(format!("cannot serialize the reconcile: {e}")))?;
            println!("{json}");
        }
        ReconcileFormat::Text => {
            for (i, r) in reports.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", render_text(r));
            }
        }
    }
    Ok(())
}

/// The team's sources to reconcile: all of them, or the one named (which must be the team's).
fn team_sources<'a>(
    settings: &'a Settings,
    team: &TeamSettings,
    only: Option<&str>,
) -> Result<Vec<&'a SourceSettings>, CommandError> {
    let of_team: Vec<&SourceSettings> = settings
        .sources
        .iter()
        .filter(|s| team.sources.contains(&s.name))
        .collect();
    match only {
        None if of_team.is_empty() => Err(CommandError::Usage(format!(
            "team {:?} has no sources: list some in its `sources = [...]`",
            team.name
        ))),
        None => Ok(of_team),
        Some(name) => match of_team.iter().find(|s| s.name.as_str() == name) {
            Some(s) => Ok(vec![*s]),
            None => Err(CommandError::Usage(format!(
                "--source {name:?} is not a source of team {:?} (its sources: {})",
                team.name,
                of_team
                    .iter()
                    .map(|s| s.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}

/// One reconciliation per source, in the given order.
pub(crate) async fn compute(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    sources: &[String],
    spec: PeriodSpec,
) -> Result<Vec<ReconcileReport>, CommandError> {
    let period = spec.in_zone(team.timezone);
    let config = crate::report::team_config(team);
    // Facts must be current for the raw read to match what reports see.
    store
        .refresh_facts()
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let mut out = Vec::with_capacity(sources.len());
    for s in sources {
        let mut input = store
            .load_reconcile_input(s, period.start, period.end)
            .await
            .map_err(|e| CommandError::Runtime(e.to_string()))?;
        let kind = team
            .source_kinds
            .get(s)
            .and_then(|k| crate::connectors::find(k));
        if let Some(kind) = kind {
            input.unsupported = kind
                .unreconcilable
                .iter()
                .map(|l| (l.kpi.to_owned(), l.reason.to_owned()))
                .collect();
        }
        out.push(deskpulse_metrics::reconcile(&config, &period, &input));
    }
    Ok(out)
}

/// Labels of the reconciled KPIs, in reading order.
const LABELS: [(&str, &str); 5] = [
    ("first_response_time", "First response"),
    ("first_resolution_time", "First resolution"),
    ("resolution_time", "Resolution"),
    ("one_touch_resolution_rate", "One-touch"),
    ("reopen_rate", "Reopened"),
];

/// The reconciliation as text: a line per KPI (ours, the vendor's, agreement), then the
/// disagreeing tickets by reason.
pub(crate) fn render_text(r: &ReconcileReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} ({}): our KPIs next to the vendor's own, for the same tickets",
        r.source, r.period.label, r.period.timezone
    );
    let _ = writeln!(
        out,
        "  {:<18}{:>18}{:>18}  agree",
        "", "ours (n, median)", "vendor (n, median)"
    );
    for (key, label) in LABELS {
        if let Some(why) = r.unsupported.get(key) {
            let _ = writeln!(out, "  {label:<18}not reconciled: {why}");
            continue;
        }
        let Some(k) = r.kpis.get(key) else { continue };
        let side = |s: &deskpulse_metrics::Side| match (s.median_seconds, s.value) {
            (Some(m), _) => format!("{}  {}", s.n, human(m)),
            (None, Some(v)) => format!("{}  {:.0}%", s.n, v * 100.0),
            (None, None) => format!("{}  –", s.n),
        };
        let agree = match k.agree.share {
            Some(share) => format!("{:.0}% ({} tickets)", share * 100.0, k.agree.n),
            None => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {label:<18}{:>18}{:>18}  {agree}",
            side(&k.ours),
            side(&k.vendor)
        );
        for (reason, t) in k.reasons.iter().filter(|(_, t)| t.count > 0) {
            let more = if t.count as usize > TICKETS_PER_REASON {
                ", …"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    {:>4} × {}: {}{more}",
                t.count,
                reason.describe(),
                t.tickets.join(", ")
            );
        }
    }
    out
}

/// A few lines for the end of `deskpulse demo` (and anyone who wants the gist): per KPI the
/// agreement and the reasons of the differences, most frequent first.
pub(crate) fn summary(r: &ReconcileReport) -> Vec<String> {
    let mut out = vec![format!(
        "reconcile with the vendor's own figures ({}, {}):",
        r.source, r.period.label
    )];
    for (key, label) in LABELS {
        if let Some(why) = r.unsupported.get(key) {
            out.push(format!("  {label}: not reconciled ({why})"));
            continue;
        }
        let Some(k) = r.kpis.get(key) else { continue };
        let Some(share) = k.agree.share else {
            out.push(format!("  {label}: no tickets"));
            continue;
        };
        let mut reasons: Vec<_> = k.reasons.iter().filter(|(_, t)| t.count > 0).collect();
        reasons.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let why: Vec<String> = reasons
            .iter()
            .map(|(reason, t)| format!("{} {}", t.count, reason.describe()))
            .collect();
        let tail = if why.is_empty() {
            String::new()
        } else {
            format!("; differ: {}", why.join(", "))
        };
        out.push(format!(
            "  {label}: {:.0}% of {} tickets agree{tail}",
            share * 100.0,
            k.agree.tickets
        ));
    }
    out
}

/// Seconds as `2h 05m`, `45m`, `30s`.
fn human(secs: f64) -> String {
    let s = secs.round() as i64;
    match s {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
