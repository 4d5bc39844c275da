//! Report fixtures for the digest tests and the `render_sample` example. Reports' KPIs are
//! built from the report JSON contract (not struct literals), so KPIs the metrics crate adds
//! later do not break them; their verdicts (targets, suggestions, and with a history the
//! trends, anomalies and forecast) are the metrics crate's own ([`judge`],
//! [`deskpulse_metrics::attach_history`]), never written here: the digest only renders them.
#![allow(dead_code)]

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use deskpulse_metrics::{KpiReport, Targets, TeamConfig};
use deskpulse_model::{Rating, RatingKind, RatingScale, Review};
use serde_json::{Value, json};

pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const IMG: &str = "<img src=x onerror=alert(1)>";
pub const SLACK_PING: &str = "<!channel> <@U123> <http://evil.example|click> & co";

/// One week's headline numbers.
#[derive(Debug, Clone, Copy)]
pub struct Week {
    pub volume: u64,
    pub solved: u64,
    pub backlog: u64,
    pub frt: f64,
    pub resolution: f64,
    pub csat: f64,
    pub csat_n: u64,
    pub reopen: f64,
}

/// Monday of ISO week 2026-W47 minus `weeks_ago` weeks, at 00:00 in Europe/Berlin (UTC+1
/// in November: 23:00 UTC the day before).
fn week_start(weeks_ago: i64) -> (DateTime<Utc>, NaiveDate) {
    let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap() - Duration::weeks(weeks_ago);
    let start = Utc.from_utc_datetime(&monday.and_hms_opt(0, 0, 0).unwrap()) - Duration::hours(1);
    (start, monday)
}

pub fn label(weeks_ago: i64) -> String {
    let (_, monday) = week_start(weeks_ago);
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn duration(median: f64, n: u64, target: f64) -> Value {
    if n == 0 {
        return json!({"n": 0, "median_seconds": null, "mean_seconds": null, "p90_seconds": null, "within_target": null});
    }
    json!({
        "n": n,
        "median_seconds": median,
        "mean_seconds": (median * 1.2).round(),
        "p90_seconds": (median * 2.5).round(),
        "within_target": if median <= target { 0.72 } else { 0.41 },
    })
}

/// An agent row of the report.
pub fn agent(name: &str, solved: u64, frt: f64, res: f64, csat: Option<f64>) -> Value {
    let id = name.len();
    json!({
        "id": format!("zendesk-main:{id}"),
        "name": name,
        "solved": solved,
        "first_response_time": duration(frt, solved, 3600.0),
        "resolution_time": duration(res, solved, 28800.0),
        "one_touch_resolution_rate": {"n": solved, "value": 0.5},
        "csat": {"n": if csat.is_some() { 10 } else { 0 }, "value": csat, "mean": csat.map(|c| 1.0 + 4.0 * c), "distribution": null},
    })
}

/// The team the fixtures are judged for: DESIGN's default targets, no business hours.
pub fn team(name: &str) -> TeamConfig {
    TeamConfig {
        name: name.into(),
        targets: Targets::default(),
        ..TeamConfig::default()
    }
}

/// `report` judged by the metrics crate against the default targets (its `targets` and
/// target-based `suggestions`), as `compute_report` hands it over.
pub fn judge(mut report: KpiReport) -> KpiReport {
    let team = team(&report.team);
    deskpulse_metrics::judge(&mut report, &team);
    report
}

/// `report` with `history` attached by the metrics crate (trends, anomalies, forecast,
/// trend-based suggestions), as the CLI hands it to the digest.
pub fn with_history(mut report: KpiReport, history: &[KpiReport]) -> KpiReport {
    let team = team(&report.team);
    deskpulse_metrics::attach_history(&mut report, &team, history);
    report
}

/// A report of `team` for the week `weeks_ago` before 2026-W47, judged ([`judge`]).
pub fn report(team: &str, weeks_ago: i64, w: Week, agents: Vec<Value>) -> KpiReport {
    let (start, monday) = week_start(weeks_ago);
    let end = start + Duration::weeks(1);
    let mut by_day = serde_json::Map::new();
    for i in 0..7u64 {
        let d = monday + Duration::days(i as i64);
        let share = [18, 17, 16, 16, 15, 9, 9][i as usize];
        by_day.insert(d.to_string(), json!(w.volume * share / 100));
    }
    let email = w.volume * 55 / 100;
    let chat = w.volume * 30 / 100;
    let by_channel = json!({"email": email, "chat": chat, "web": w.volume - email - chat});
    let rate = |v: f64| json!({"n": w.solved, "value": if w.solved > 0 { Some(v) } else { None }});
    let v = json!({
        "period": {"label": label(weeks_ago), "start": start, "end": end, "timezone": "Europe/Berlin"},
        "team": team,
        "kpis": {
            "ticket_volume": {"n": w.volume, "value": w.volume,
                "by_channel": if w.volume > 0 { by_channel } else { json!({}) },
                "by_day": by_day},
            "solved": {"n": w.solved, "value": w.solved},
            "backlog": {"n": w.backlog, "value": w.backlog},
            "first_response_time": {
                "n": w.solved, "median_seconds": w.frt, "mean_seconds": (w.frt * 1.2).round(),
                "p90_seconds": (w.frt * 2.5).round(),
                "within_target": if w.frt <= 3600.0 { 0.74 } else { 0.46 }, "waiting": 3},
            "reply_time": duration(w.frt * 0.8, w.solved * 2, 3600.0),
            "resolution_time": duration(w.resolution, w.solved, 28800.0),
            "first_resolution_time": duration(w.resolution * 0.9, w.solved, 28800.0),
            "one_touch_resolution_rate": rate(0.46),
            "first_contact_resolution_rate": rate(0.41),
            "automated_resolution_rate": rate(0.05),
            "reopen_rate": rate(w.reopen),
            "csat": {"n": w.csat_n, "value": if w.csat_n > 0 { Some(w.csat) } else { None },
                     "mean": if w.csat_n > 0 { Some(1.0 + 4.0 * w.csat) } else { None },
                     "distribution": null, "unsatisfied_with_comment": 4},
            "first_response_by_hour": (0..24).map(|h| json!({
                "hour": h, "n": if (8..18).contains(&h) { 10 } else { 1 },
                "median_seconds": 1800,
                "total_wait_seconds": if h == 14 { 90000 } else if (8..18).contains(&h) { 18000 } else { 1800 },
                "waiting": 0})).collect::<Vec<_>>(),
            "resolution_by_tag": [
                {"tag": "billing", "n": 31, "median_resolution_seconds": 50400},
                {"tag": "shipping", "n": 22, "median_resolution_seconds": 21600},
            ],
        },
        "agents": agents,
    });
    judge(serde_json::from_value(v).expect("the fixture follows the report contract"))
}

/// Adds reviews, social and costs to a report (through its JSON, like the contract), and
/// judges it again.
pub fn with_public(report: KpiReport) -> KpiReport {
    let mut v = serde_json::to_value(&report).unwrap();
    v["kpis"]["reviews"] = json!({
        "n": 4, "mean_rating": 2.75,
        "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1},
        "share_negative": 0.5, "share_answered": 0.25, "median_reply_seconds": 7200,
        "by_platform": {"trustpilot": {"n": 3, "mean_rating": 2.3333333,
            "distribution": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1},
            "share_negative": 0.6666667, "share_answered": 0.3333333, "median_reply_seconds": 7200,
            "overall_rating": 4.2, "overall_change": -0.1, "total_reviews": 1284,
            "total_change": 3, "coverage": "full"},
            "google": {"n": 1, "mean_rating": 4,
            "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
            "share_negative": 0, "share_answered": 0, "median_reply_seconds": null},
            "yelp": {"n": 0, "mean_rating": null,
            "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
            "share_negative": null, "share_answered": null, "median_reply_seconds": null,
            "overall_rating": 3.5, "overall_change": null, "total_reviews": 212,
            "total_change": 1, "coverage": "aggregate_sample"}},
        "unanswered": 3,
        "unanswered_negative_count": 2,
        "unanswered_negative_overdue": 1
    });
    v["kpis"]["social"] = json!([
        {"platform": "instagram", "account": "acme", "metric": "followers", "value": 12840,
         "observed_at": report.period.end, "change": 120},
        {"platform": "x", "account": "acme_help", "metric": "mentions", "value": 57,
         "observed_at": report.period.end, "change": -9},
    ]);
    v["kpis"]["public_response"] = json!({
        "n": 64, "answered": 49, "rate": 0.765625, "median_seconds": 2940,
        "p90_seconds": 15300, "within_target": 0.61,
        "by_platform": {
            "instagram": {"n": 21, "answered": 18, "rate": 0.857143, "median_seconds": 1800,
                          "p90_seconds": 9000, "within_target": 0.78},
            "x": {"n": 43, "answered": 31, "rate": 0.72093, "median_seconds": 4020,
                  "p90_seconds": 17000, "within_target": 0.52}}
    });
    v["kpis"]["support_cost_per_ticket"] = json!({"n": report.kpis.ticket_volume.value, "value": 14.2, "currency": "EUR", "costs": 2016.4});
    v["kpis"]["support_cost_ratio"] = json!({"n": 7, "value": 0.12, "revenue": 16803});
    judge(serde_json::from_value(v).unwrap())
}

pub fn review(
    id: &str,
    platform: &str,
    rating: f64,
    text: &str,
    author: &str,
    answered: bool,
) -> Review {
    let at = Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap();
    Review {
        platform: platform.into(),
        external_id: id.into(),
        rating,
        title: None,
        text: Some(text.into()),
        author_name: Some(author.into()),
        created_at: at,
        reply_text: answered.then(|| "Thanks!".into()),
        replied_at: answered.then_some(at + Duration::hours(2)),
        url: None,
    }
}

pub fn comment(id: &str, score: f64, text: &str) -> Rating {
    Rating {
        external_id: id.into(),
        kind: RatingKind::Csat,
        score,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: Some("t1".into()),
        agent_id: None,
        comment: Some(text.into()),
        created_at: Utc.with_ymd_and_hms(2026, 11, 17, 9, 0, 0).unwrap(),
    }
}

/// 12 weeks of a team with a slowly rising first response time.
pub fn weeks() -> Vec<Week> {
    (0..12)
        .map(|i| {
            let i = i as f64; // 0 = this week
            Week {
                volume: (142.0 - i * 3.0 + (i * 1.7).sin() * 6.0).round() as u64,
                solved: (126.0 - i * 2.0 + (i * 1.3).cos() * 5.0).round() as u64,
                backlog: (37.0 - i * 0.7).round() as u64,
                frt: 5400.0 - i * 180.0,
                resolution: 22200.0 + (i * 0.9).sin() * 1800.0,
                csat: 0.84 + i * 0.006,
                csat_n: 50,
                reopen: 0.08,
            }
        })
        .collect()
}

/// The standard sample: this week's report (with agents, reviews, social, costs, and the
/// history attached) and 11 weeks of history, most recent first; `hostile` puts attacks into
/// the untrusted strings.
pub struct Sample {
    pub report: KpiReport,
    pub history: Vec<KpiReport>,
    pub reviews: Vec<Review>,
    pub ratings: Vec<Rating>,
}

pub fn sample(hostile: bool) -> Sample {
    let ws = weeks();
    let names: Vec<String> = if hostile {
        vec![
            "Alice Martin".into(),
            SCRIPT.into(),
            IMG.into(),
            format!("Bob {SLACK_PING}"),
        ]
    } else {
        vec![
            "Alice Martin".into(),
            "Bruno Díaz".into(),
            "Chloé Dubois".into(),
            "Dev Patel".into(),
        ]
    };
    let agents = vec![
        agent(&names[0], 41, 2900.0, 18000.0, Some(0.93)),
        agent(&names[1], 36, 6100.0, 25200.0, Some(0.81)),
        agent(&names[2], 30, 4300.0, 21000.0, Some(0.86)),
        agent(&names[3], 24, 8200.0, 30600.0, None),
    ];
    // The history has the Instagram follower counter too (for its sparkline): 12,120 eleven
    // weeks ago, 60 more each week.
    let history: Vec<KpiReport> = (1..12)
        .map(|i| {
            let r = report_plain(i, ws[i as usize]);
            let mut v = serde_json::to_value(&r).unwrap();
            v["kpis"]["social"] = json!([
                {"platform": "instagram", "account": "acme", "metric": "followers",
                 "value": 12840 - 120 - 60 * (i - 1), "observed_at": r.period.end, "change": 60},
            ]);
            serde_json::from_value(v).unwrap()
        })
        .collect();
    let report = with_history(with_public(report("support", 0, ws[0], agents)), &history);
    let (bad, worse) = if hostile {
        (
            format!("Terrible {SCRIPT} {SLACK_PING}"),
            format!("Still waiting {IMG} & nobody cares"),
        )
    } else {
        (
            "Waited four days for a refund, had to explain everything twice.".into(),
            "Nobody answers the chat after 5 pm.".into(),
        )
    };
    let reviews = vec![
        review("r1", "trustpilot", 1.0, &bad, "Mallory", false),
        review("r2", "trustpilot", 2.0, &worse, "Eve", true),
        review("r3", "google", 4.0, "Quick and friendly.", "Trent", false),
        review("r4", "trustpilot", 5.0, "Great support!", "Peggy", false),
    ];
    let ratings = vec![
        comment(
            "c1",
            2.0,
            if hostile {
                "<@U123> fix this <!channel> & now <script>x</script>"
            } else {
                "The agent closed my ticket without an answer."
            },
        ),
        comment("c2", 5.0, "Lovely, thanks"),
    ];
    Sample {
        report,
        history,
        reviews,
        ratings,
    }
}

fn report_plain(weeks_ago: i64, w: Week) -> KpiReport {
    report(
        "support",
        weeks_ago,
        w,
        vec![agent(
            "Alice Martin",
            w.solved / 3,
            3000.0,
            19000.0,
            Some(0.9),
        )],
    )
}
