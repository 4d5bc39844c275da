//! The routes: pages, the JSON API, `/metrics`, `/healthz` and the stylesheet, behind the
//! authentication check and with the security headers on every response.
//!
//! Every route is `GET` (axum answers `HEAD` too, and 405 to anything else): no endpoint
//! changes data. The pages and the API read reports through the [`ReportCache`].

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use deskpulse_metrics::KpiReport;
use deskpulse_model::PeriodSpec;
use deskpulse_storage::Store;

use crate::agent::agent_page;
use crate::auth::Authenticator;
use crate::cache::ReportCache;
use crate::freshness::FreshRow;
use crate::pages::{ErrorPage, IndexPage, Trend, team_card, team_link, team_page};
use crate::source::{ReportError, TeamInfo, TeamReport};
use crate::telemetry::telemetry;
use crate::views::{self, DEFAULT_TREND, LONG_TREND, period_nav};

/// Every page's Content-Security-Policy: nothing but this server's stylesheet — no script,
/// no image, no font, no frame, no form posting elsewhere. The charts are inline SVG (markup,
/// not resources).
pub const CSP: &str = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = include_str!("../static/style.css");

pub(crate) type Scrub = Arc<dyn Fn(&str) -> String + Send + Sync>;
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Store,
    pub cache: Arc<ReportCache>,
    pub auth: Arc<Authenticator>,
    pub scrub: Scrub,
    pub clock: Clock,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/teams/{team}", get(team))
        .route("/teams/{team}/agents/{agent}", get(agent))
        .route("/api/teams", get(api_teams))
        .route("/api/teams/{team}/report", get(api_report))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(style))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(secure_headers))
        .with_state(state)
}

async fn secure_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // The health check says only whether the database answers: load balancers call it
    // without credentials.
    if req.uri().path() == "/healthz" || s.auth.allows(req.headers()).await {
        return next.run(req).await;
    }
    let mut res = (
        StatusCode::UNAUTHORIZED,
        "authentication required: send `Authorization: Bearer TOKEN` or log in\n",
    )
        .into_response();
    for c in s.auth.challenges() {
        res.headers_mut().append(header::WWW_AUTHENTICATE, c);
    }
    res
}

fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render the page\n",
            )
                .into_response()
        }
    }
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let mut res = html(&ErrorPage {
        status: status.as_u16(),
        title: title.to_owned(),
        message: deskpulse_digest::escape::plain_cut(message, 500),
    });
    *res.status_mut() = status;
    res
}

async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Not found",
        "No such page. The teams are listed on the start page.",
    )
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.store.schema_version().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %(s.scrub)(&e.to_string()), "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer\n",
            )
                .into_response()
        }
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    let body = crate::metrics::render(
        &s.store,
        s.cache.reports().teams(),
        &telemetry().snapshot(),
        s.scrub.as_ref(),
    )
    .await;
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}

fn find_team(s: &AppState, name: &str) -> Option<TeamInfo> {
    s.cache
        .reports()
        .teams()
        .iter()
        .find(|t| t.name == name)
        .cloned()
}

/// The period asked for (`?period=`), else the team's last complete week.
fn period_of(
    s: &AppState,
    team: &TeamInfo,
    q: &HashMap<String, String>,
) -> Result<PeriodSpec, String> {
    match q.get("period").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        Some(p) => p.parse::<PeriodSpec>().map_err(|e| e.to_string()),
        None => Ok(PeriodSpec::last_complete_week((s.clock)(), team.timezone)),
    }
}

fn current_week(s: &AppState, team: &TeamInfo) -> PeriodSpec {
    PeriodSpec::last_complete_week((s.clock)(), team.timezone)
}

/// The trend length asked for: the default, or a year of weeks.
fn trend_of(period: PeriodSpec, q: &HashMap<String, String>) -> usize {
    match (period, q.get("trend").and_then(|t| t.parse::<usize>().ok())) {
        (PeriodSpec::IsoWeek { .. }, Some(LONG_TREND)) => LONG_TREND,
        _ => DEFAULT_TREND,
    }
}

fn report_error(e: &ReportError, scrub: &Scrub) -> Response {
    match e {
        ReportError::NoTeam(t) => error_page(
            StatusCode::NOT_FOUND,
            "No such team",
            &format!("There is no team named {t:?} in the configuration."),
        ),
        ReportError::Failed(m) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The report could not be computed",
            &scrub(m),
        ),
    }
}

/// The reports behind a page: `period`'s and, for a long trend, the blocks of 13 periods
/// before it (each block is one cached report with its 12-period history).
async fn trend_reports(
    s: &AppState,
    team: &str,
    period: PeriodSpec,
    length: usize,
) -> Result<Vec<Arc<TeamReport>>, ReportError> {
    let mut blocks = vec![s.cache.get(team, period).await?];
    let mut start = period;
    while blocks.len() * DEFAULT_TREND < length {
        let full = blocks
            .last()
            .is_some_and(|b| b.history.len() + 1 >= DEFAULT_TREND);
        if !full {
            break; // the data begins inside the last block
        }
        for _ in 0..DEFAULT_TREND {
            start = start.previous();
        }
        blocks.push(s.cache.get(team, start).await?);
    }
    Ok(blocks)
}

/// The reports of `blocks`, oldest first, capped to `length`.
fn flatten(blocks: &[Arc<TeamReport>], length: usize) -> Vec<&KpiReport> {
    let mut out: Vec<&KpiReport> = Vec::new();
    for b in blocks.iter().rev() {
        out.extend(b.history.iter().rev());
        out.push(&b.report);
    }
    let skip = out.len().saturating_sub(length);
    out.split_off(skip)
}

async fn freshness(s: &AppState, team: &TeamInfo, report: Option<&KpiReport>) -> Vec<FreshRow> {
    crate::freshness::rows(
        &s.store,
        report,
        &team.sources,
        team.timezone,
        s.scrub.as_ref(),
    )
    .await
}

async fn index(State(s): State<AppState>) -> Response {
    let mut cards = Vec::new();
    for team in s.cache.reports().teams() {
        let period = current_week(&s, team);
        let report = s.cache.get(&team.name, period).await;
        let fresh = freshness(&s, team, report.as_deref().ok().map(|t| &t.report)).await;
        let r = report.as_deref().map_err(|e| (s.scrub)(&e.to_string()));
        cards.push(team_card(team, period, r, fresh));
    }
    html(&IndexPage { teams: cards })
}

/// What a team's page and an agent's page start from: the team, the period asked for, the
/// trend's length and the reports behind it — or the error page.
struct PageData {
    team: TeamInfo,
    period: PeriodSpec,
    length: usize,
    blocks: Vec<Arc<TeamReport>>,
}

async fn page_data(
    s: &AppState,
    name: String,
    q: &HashMap<String, String>,
    long_trends: bool,
) -> Result<PageData, Response> {
    let Some(team) = find_team(s, &name) else {
        return Err(report_error(&ReportError::NoTeam(name), &s.scrub));
    };
    let period = period_of(s, &team, q)
        .map_err(|e| error_page(StatusCode::BAD_REQUEST, "Not a period", &e))?;
    let length = if long_trends {
        trend_of(period, q)
    } else {
        DEFAULT_TREND
    };
    let blocks = trend_reports(s, &team.name, period, length)
        .await
        .map_err(|e| report_error(&e, &s.scrub))?;
    Ok(PageData {
        team,
        period,
        length,
        blocks,
    })
}

async fn team(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = match page_data(&s, name, &q, true).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let (team, period) = (&d.team, d.period);
    let trend = Trend {
        reports: flatten(&d.blocks, d.length),
    };
    let base = team_link(&team.name);
    let nav = period_nav(&base, period, current_week(&s, team), d.length);
    let fresh = freshness(&s, team, Some(&d.blocks[0].report)).await;
    let page = team_page(team, period, &d.blocks[0], &trend, nav, fresh);
    // The "previous" link is the likeliest next click.
    s.cache.prefetch(&team.name, period.previous());
    html(&page)
}

async fn agent(
    State(s): State<AppState>,
    Path((name, agent_id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = match page_data(&s, name, &q, false).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let (team, period) = (&d.team, d.period);
    let trend = Trend {
        reports: flatten(&d.blocks, d.length),
    };
    let base = |p: PeriodSpec, _t: usize| views::agent_href(&team.name, &agent_id, p);
    let nav = period_nav(&base, period, current_week(&s, team), d.length);
    match agent_page(team, &agent_id, period, &trend, nav) {
        Some(page) => html(&page),
        None => error_page(
            StatusCode::NOT_FOUND,
            "No such agent",
            &format!(
                "No agent with id {agent_id:?} has figures in {period} or the periods before it."
            ),
        ),
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

async fn api_teams(State(s): State<AppState>) -> Response {
    let teams: Vec<serde_json::Value> = s
        .cache
        .reports()
        .teams()
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "timezone": t.timezone.name(),
                "sources": t.sources,
                "report": format!("/api/teams/{}/report", views::encode(&t.name)),
                "dashboard": views::team_href(&t.name),
            })
        })
        .collect();
    let body = serde_json::json!({ "teams": teams });
    match serde_json::to_string_pretty(&body) {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/json")],
            format!("{text}\n"),
        )
            .into_response(),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Exactly what `deskpulse report --team TEAM --period PERIOD --format json` prints.
async fn api_report(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(team) = find_team(&s, &name) else {
        return json_error(StatusCode::NOT_FOUND, &format!("no team named {name:?}"));
    };
    let period = match period_of(&s, &team, &q) {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e),
    };
    match s.cache.get(&team.name, period).await {
        Ok(t) => match serde_json::to_string_pretty(&t.report) {
            Ok(text) => (
                [(header::CONTENT_TYPE, "application/json")],
                format!("{text}\n"),
            )
                .into_response(),
            Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &(s.scrub)(&e.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_trends_are_for_weeks() {
        let w: PeriodSpec = "2026-W47".parse().unwrap();
        let m: PeriodSpec = "2026-11".parse().unwrap();
        let q = HashMap::from([("trend".to_owned(), "52".to_owned())]);
        assert_eq!(trend_of(w, &q), LONG_TREND);
        assert_eq!(trend_of(m, &q), DEFAULT_TREND);
        let q = HashMap::from([("trend".to_owned(), "9999".to_owned())]);
        assert_eq!(trend_of(w, &q), DEFAULT_TREND);
    }
}
