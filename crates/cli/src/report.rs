//! `deskpulse report`: one team's KPIs for a period, as text or the stable JSON contract.

use crate::Failure;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::{Settings, TeamSettings};
use deskpulse_metrics::{KpiReport, TeamConfig};
use deskpulse_model::PeriodSpec;

pub(crate) async fn run(settings: &Settings, args: ReportArgs) -> Result<(), Failure> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(Failure::Usage)?;
    let spec = match &args.period {
        Some(p) => p
            .parse::<PeriodSpec>()
            .map_err(|e| Failure::Usage(e.to_string()))?,
        None => PeriodSpec::last_complete_week(chrono::Utc::now(), team.timezone),
    };
    let store = deskpulse_storage::Store::open(&settings.database.url)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let report = compute(&store, team, spec).await?;
    match args.format {
        ReportFormat::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::Runtime(format!("cannot serialize the report: {e}")))?;
            println!("{json}");
        }
        ReportFormat::Text => print!("{}", deskpulse_metrics::render_text(&report)),
    }
    Ok(())
}

/// Loads a team's facts for a period and computes its report.
pub(crate) async fn compute(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<KpiReport, Failure> {
    let period = spec.in_zone(team.timezone);
    let sources: Vec<String> = team.sources.iter().map(|s| s.to_string()).collect();
    let input = store
        .load_report_input_for(&team.name, &sources, period.start, period.end)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
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
