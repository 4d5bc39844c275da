//! `deskpulse report`: one team's KPIs for a period, as text or the stable JSON contract,
//! with trends and a forecast from the previous periods (see [`compute_with_history`]).

use crate::CommandError;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::{Settings, TeamSettings};
use deskpulse_metrics::{KpiReport, ReportInput, Restatement, TeamConfig};
use deskpulse_model::{Period, PeriodSpec};

mod kept;
pub(crate) use kept::{Foreground, KeptPeriods, warm};

/// Previous periods a report's trends and forecast look at (the metrics and digest crates
/// use at most 12).
pub(crate) const HISTORY_PERIODS: usize = 12;

/// A period's report with its history attached, and what it was computed from.
pub(crate) struct Computed {
    /// With `trends`, `forecast` and `suggestions` attached from `history`.
    pub report: KpiReport,
    /// The previous periods' reports, most recent first; periods before the data begins
    /// (nothing created, solved or open) are left out.
    pub history: Vec<KpiReport>,
    /// The period's facts (the digest quotes its reviews and survey comments). When the
    /// period's report was kept, only its ratings and reviews (what a page quotes).
    pub input: ReportInput,
}

/// Computes the period's report and the reports of up to [`HISTORY_PERIODS`] periods of the
/// same kind (weeks or months) before it, and attaches the history (trends, forecast and
/// trend-based suggestions) to the report.
///
/// The period is loaded on its own (exactly what `report` without history computed), and
/// at the same time the previous periods are loaded with **one** load spanning all of them: storage's window
/// for `[oldest start, end)` holds every fact each sub-period's window would (the derived
/// facts of tickets created, solved or replied to in it; ratings, reviews, social and
/// manual inputs around it), plus the backlog counted at each period's end, and the
/// metrics crate picks what counts for each period. So a report costs two loads, not
/// thirteen, and neither reads a message.
pub(crate) async fn compute_with_history(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<Computed, CommandError> {
    compute_with_kept(store, team, spec, None).await
}

/// [`compute_with_history`], with period reports `kept` from earlier reports used instead
/// of computed again (each period's report on its own depends only on the data, which
/// `kept` vouches for), and the ones computed here kept for the next.
pub(crate) async fn compute_with_kept(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    spec: PeriodSpec,
    kept: Option<&KeptPeriods>,
) -> Result<Computed, CommandError> {
    let generation = kept.map(KeptPeriods::generation);
    let config = team_config(team);
    let period = spec.in_zone(team.timezone);
    let specs: Vec<PeriodSpec> = std::iter::successors(Some(spec), |s| Some(s.previous()))
        .skip(1)
        .take(HISTORY_PERIODS)
        .collect();
    let mut history: Vec<Option<KpiReport>> = specs
        .iter()
        .map(|s| kept.and_then(|k| k.get(&team.name, *s)))
        .collect();
    let missing: Vec<(usize, Period)> = history
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| (i, specs[i].in_zone(team.timezone)))
        .collect();
    let bounds: Vec<_> = missing.iter().map(|(_, p)| (p.start, p.end)).collect();
    let own = kept.and_then(|k| k.get(&team.name, spec));
    let own_kept = own.is_some();
    let bounds_now = (period.start, period.end);
    let (mut input, mut span) = if own_kept {
        // The period's own report is kept: read only what a page quotes of it.
        store
            .load_quotes_with_history_for(&team.name, &sources(team), bounds_now, &bounds)
            .await
    } else {
        store
            .load_report_with_history_for(&team.name, &sources(team), bounds_now, &bounds)
            .await
    }
    .map_err(|e| CommandError::Runtime(e.to_string()))?;
    input.limits = team.limits.clone();
    span.limits = team.limits.clone();
    let mut report =
        own.unwrap_or_else(|| deskpulse_metrics::compute_report(&config, &period, &input));
    let periods: Vec<Period> = missing.iter().map(|(_, p)| *p).collect();
    let computed = deskpulse_metrics::compute_reports(&config, &periods, &span);
    // Only what was computed here is new to `kept`.
    if let (Some(k), Some(g)) = (kept, generation) {
        if !own_kept {
            k.put(g, &team.name, spec, &report);
        }
        for ((_, p), r) in missing.iter().zip(&computed) {
            k.put(g, &team.name, p.spec, r);
        }
    }
    for ((i, _), r) in missing.iter().zip(computed) {
        history[*i] = Some(r);
    }
    // A team's history starts with its data: weeks before the first synced ticket are not
    // "zero tickets", they are unknown.
    let history: Vec<KpiReport> = history
        .into_iter()
        .flatten()
        .take_while(|r| !is_empty(r))
        .collect();
    deskpulse_metrics::attach_history(&mut report, &config, &history);
    attach_freshness(store, team, &mut report).await?;
    Ok(Computed {
        report,
        history,
        input,
    })
}

/// Attaches each source's freshness, judged against the report's period as of now.
pub(crate) async fn attach_freshness(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    report: &mut KpiReport,
) -> Result<(), CommandError> {
    let err = |e: deskpulse_storage::StorageError| CommandError::Runtime(e.to_string());
    let freshness = store.freshness(&sources(team)).await.map_err(err)?;
    let bounds = (report.period.start, report.period.end);
    let opened = store
        .opened_before_windows(&freshness, bounds)
        .await
        .map_err(err)?;
    deskpulse_metrics::attach_freshness(report, &freshness, &opened, chrono::Utc::now());
    Ok(())
}

/// The period's report as `deskpulse report` prints it and the dashboard's API serves it:
/// [`compute_with_history`], plus the period's own restatement when a digest told it and its
/// figures moved since.
pub(crate) async fn compute_as_reported(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    spec: PeriodSpec,
    kept: Option<&KeptPeriods>,
) -> Result<Computed, CommandError> {
    let mut c = compute_with_kept(store, team, spec, kept).await?;
    c.report.restatements = restatements(store, team, &[&c.report]).await?;
    Ok(c)
}

/// The restatements of the periods of `reports` (each computed now) that the team was
/// told about and whose told figures moved since, with the causes the data shows.
pub(crate) async fn restatements(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    reports: &[&KpiReport],
) -> Result<Vec<Restatement>, CommandError> {
    let err = |e: deskpulse_storage::StorageError| CommandError::Runtime(e.to_string());
    let labels: Vec<String> = reports.iter().map(|r| r.period.label.clone()).collect();
    let told = store.told_figures(&team.name, &labels).await.map_err(err)?;
    // Imported surveys count for CSAT, NPS and CES like the helpdesks' own.
    let mut keys = sources(team);
    keys.push(deskpulse_storage::import_source(&team.name));
    let mut out = Vec::new();
    for t in &told {
        let Some(now) = reports.iter().find(|r| r.period.label == t.period) else {
            continue;
        };
        let late = store
            .late_changes(&keys, (now.period.start, now.period.end), t.told_at)
            .await
            .map_err(err)?;
        out.extend(deskpulse_metrics::restate(
            t,
            now,
            &late,
            team.restatement_threshold,
        ));
    }
    Ok(out)
}

fn sources(team: &TeamSettings) -> Vec<String> {
    team.sources.iter().map(|s| s.to_string()).collect()
}

/// Nothing created, solved or open: a period before the team's data begins.
fn is_empty(r: &KpiReport) -> bool {
    let k = &r.kpis;
    k.ticket_volume.value == 0 && k.solved.value == 0 && k.backlog.value == 0
}

pub(crate) async fn run(settings: &Settings, args: ReportArgs) -> Result<(), CommandError> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(CommandError::Usage)?;
    let spec = match &args.period {
        Some(p) => p
            .parse::<PeriodSpec>()
            .map_err(|e| CommandError::Usage(e.to_string()))?,
        None => PeriodSpec::last_complete_week(chrono::Utc::now(), team.timezone),
    };
    let store = deskpulse_storage::Store::open(&settings.database.url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let report = compute_as_reported(&store, team, spec, None).await?.report;
    match args.format {
        ReportFormat::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| CommandError::Runtime(format!("cannot serialize the report: {e}")))?;
            println!("{json}");
        }
        ReportFormat::Text => print!("{}", deskpulse_metrics::render_text(&report)),
        ReportFormat::Csv => {
            let json = serde_json::to_value(&report)
                .map_err(|e| CommandError::Runtime(format!("cannot serialize the report: {e}")))?;
            print!("{}", to_csv(&json).map_err(CommandError::Runtime)?);
        }
    }
    Ok(())
}

/// The report as CSV for spreadsheets: one row per KPI (counts, rates, durations — the same
/// numbers as the JSON contract; list-shaped keys such as `social` stay in the JSON), then one
/// row per agent and KPI. Empty cells are KPIs without data.
pub(crate) fn to_csv(report: &serde_json::Value) -> Result<String, String> {
    use serde_json::Value;
    const COLUMNS: [&str; 5] = [
        "value",
        "median_seconds",
        "mean_seconds",
        "p90_seconds",
        "within_target",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "period",
        "team",
        "kpi",
        "n",
        "value",
        "median_seconds",
        "mean_seconds",
        "p90_seconds",
        "within_target",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    let cell = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let period = report["period"]["label"].as_str().unwrap_or_default();
    let team = report["team"].as_str().unwrap_or_default();
    let mut row = |kpi: &str, obj: &serde_json::Map<String, Value>| -> Result<(), String> {
        let mut r = vec![
            period.to_owned(),
            team.to_owned(),
            kpi.to_owned(),
            cell(obj.get("n")),
        ];
        r.extend(COLUMNS.iter().map(|c| cell(obj.get(*c))));
        w.write_record(&r).map_err(|e| e.to_string())
    };
    if let Some(kpis) = report["kpis"].as_object() {
        for (name, v) in kpis {
            if let Some(obj) = v.as_object() {
                row(name, obj)?;
            }
        }
    }
    if let Some(agents) = report["agents"].as_array() {
        for a in agents {
            let id = a["id"].as_str().unwrap_or_default();
            let Some(obj) = a.as_object() else { continue };
            for (name, v) in obj {
                match v {
                    Value::Object(k) => row(&format!("agent {id} {name}"), k)?,
                    Value::Number(_) => {
                        let solved = serde_json::Map::from_iter([
                            ("n".to_owned(), v.clone()),
                            ("value".to_owned(), v.clone()),
                        ]);
                        row(&format!("agent {id} {name}"), &solved)?;
                    }
                    _ => {}
                }
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Loads a team's facts for a period and computes its report.
pub(crate) async fn compute(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<KpiReport, CommandError> {
    let period = spec.in_zone(team.timezone);
    let sources: Vec<String> = team.sources.iter().map(|s| s.to_string()).collect();
    let mut input = store
        .load_report_input_for(&team.name, &sources, period.start, period.end)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    input.limits = team.limits.clone();
    Ok(deskpulse_metrics::compute_report(
        &team_config(team),
        &period,
        &input,
    ))
}

pub(crate) fn team_config(team: &TeamSettings) -> TeamConfig {
    TeamConfig {
        name: team.name.clone(),
        count_bot_replies: team.count_bot_replies,
        targets: team.targets,
        business_hours: team.business_hours.clone(),
        complaint_tags: team.complaint_tags.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_has_a_row_per_kpi_with_the_json_numbers() {
        let report = serde_json::json!({
            "period": {"label": "2026-W46"}, "team": "support, EU",
            "kpis": {
                "ticket_volume": {"n": 7, "value": 7, "by_channel": {"email": 4}},
                "first_response_time": {"n": 4, "median_seconds": 3000, "mean_seconds": 12750, "p90_seconds": 31320, "within_target": 0.75},
                "csat": {"n": 0, "value": null},
                "social": []
            },
            "agents": [{"id": "zd:1", "name": "A", "solved": 3}]
        });
        let csv = super::to_csv(&report).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "period,team,kpi,n,value,median_seconds,mean_seconds,p90_seconds,within_target"
        );
        assert!(
            lines.contains(&"2026-W46,\"support, EU\",ticket_volume,7,7,,,,"),
            "{csv}"
        );
        assert!(
            lines
                .contains(&"2026-W46,\"support, EU\",first_response_time,4,,3000,12750,31320,0.75"),
            "{csv}"
        );
        assert!(
            lines.contains(&"2026-W46,\"support, EU\",csat,0,,,,,"),
            "{csv}"
        );
        assert!(
            lines.contains(&"2026-W46,\"support, EU\",agent zd:1 solved,3,3,,,,"),
            "{csv}"
        );
        assert!(!csv.contains("social"));
    }
}
