//! The metrics crate is the only judge (issue 13): every target badge, anomaly flag,
//! trailing mean and suggestion the digest shows is the report's own. Reports here are
//! computed from raw tickets, messages and ratings by `compute_report` + `attach_history`,
//! as the CLI does — never written by hand — for a team with business hours and for the same
//! team without, so that the business-time median meets the first-response and resolution
//! targets while the calendar median misses them, and with eight earlier weeks so alike
//! that σ = 0 and this week's extra ticket is an anomaly.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use deskpulse_digest::{Digest, DigestInput, RenderedDigest, TargetVerdict, render_text};
use deskpulse_metrics::{
    AgentInput, BusinessHours, KpiReport, RatingInput, ReportInput, Targets, TeamConfig,
    TicketInput, attach_history, compute_report,
};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Message, Period, PeriodSpec, Rating, RatingKind, RatingScale,
    Ticket, TicketStatus,
};

const SRC: &str = "zendesk-main";
const AGENT: &str = "100";

fn team(business_hours: bool) -> TeamConfig {
    TeamConfig {
        name: "support".into(),
        targets: Targets::default(),
        business_hours: business_hours.then(|| {
            BusinessHours::weekdays(
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            )
        }),
        ..TeamConfig::default()
    }
}

/// 2026-W47 (Mon 11-16 to Mon 11-23, UTC) minus `weeks_ago` weeks.
fn week(weeks_ago: u32) -> Period {
    let mut spec: PeriodSpec = "2026-W47".parse().unwrap();
    for _ in 0..weeks_ago {
        spec = spec.previous();
    }
    spec.in_zone("UTC".parse().unwrap())
}

fn message(ticket: &str, n: usize, kind: AuthorKind, author: &str, at: DateTime<Utc>) -> Message {
    Message {
        external_id: format!("{ticket}-m{n}"),
        ticket_id: ticket.into(),
        author_kind: kind,
        author_id: Some(author.into()),
        public: true,
        created_at: at,
    }
}

/// A customer's ticket created at `created`, answered by the agent at `reply` and solved at
/// `solved` (each when given).
fn ticket(
    id: String,
    created: DateTime<Utc>,
    reply: Option<DateTime<Utc>>,
    solved: Option<DateTime<Utc>>,
) -> TicketInput {
    let mut messages = vec![message(&id, 0, AuthorKind::Customer, "r1", created)];
    if let Some(r) = reply {
        messages.push(message(&id, 1, AuthorKind::Agent, AGENT, r));
    }
    TicketInput {
        source: SRC.into(),
        ticket: Ticket {
            external_id: id,
            channel: Channel::Email,
            status: if solved.is_some() {
                TicketStatus::Solved
            } else {
                TicketStatus::Open
            },
            created_at: created,
            updated_at: solved.or(reply).unwrap_or(created),
            first_solved_at: solved,
            final_solved_at: solved,
            reopens: None,
            opened_by_agent: None,
            requester_id: Some("r1".into()),
            assignee_id: Some(AGENT.into()),
            group_id: None,
            tags: vec!["billing".into()],
            priority: None,
        },
        messages,
        status_changes: vec![],
    }
}

/// Every week (Monday 00:00 UTC = `start`), times in UTC:
/// - `a`: Mon 10:00, answered 10:30, solved 12:00 (30 min / 2 h on either clock);
/// - `b`: Fri 16:30, answered Mon 09:15, solved Mon 10:00 (calendar 64h 45m / 65h 30m;
///   09:00–17:00 weekdays: 30 min + 15 min = 45 min / 30 min + 1 h = 1h 30m);
/// - `c`: Fri 16:00, answered Mon 09:30, solved Mon 10:00 (calendar 65h 30m / 66 h;
///   business 1h 30m / 2 h).
///
/// So each week has 3 tickets, 3 solved (its `a`, last week's `b` and `c`), 2 open at its
/// end, a first-response median of 64h 45m on the calendar and 45 min in business time, and
/// a resolution median of 65h 30m on the calendar and 2 h in business time. This week
/// (`weeks_ago` = 0) also has `d`: Wed 11:00, never answered, open (waiting).
fn week_of_tickets(weeks_ago: u32) -> Vec<TicketInput> {
    let start = week(weeks_ago).start;
    let t = |d: i64, h: i64, m: i64| start + Duration::days(d) + Duration::minutes(h * 60 + m);
    let mut out = vec![
        ticket(
            format!("a{weeks_ago}"),
            t(0, 10, 0),
            Some(t(0, 10, 30)),
            Some(t(0, 12, 0)),
        ),
        ticket(
            format!("b{weeks_ago}"),
            t(4, 16, 30),
            Some(t(7, 9, 15)),
            Some(t(7, 10, 0)),
        ),
        ticket(
            format!("c{weeks_ago}"),
            t(4, 16, 0),
            Some(t(7, 9, 30)),
            Some(t(7, 10, 0)),
        ),
    ];
    if weeks_ago == 0 {
        out.push(ticket("d0".into(), t(2, 11, 0), None, None));
    }
    out
}

/// One CSAT answer per week on its `a` ticket: 5/5 in the earlier weeks (CSAT 100 %, σ = 0),
/// 2/5 with a comment this week (0 %: below target, a drop and an anomaly).
fn rating(weeks_ago: u32) -> RatingInput {
    let start = week(weeks_ago).start;
    let this_week = weeks_ago == 0;
    RatingInput {
        source: SRC.into(),
        ticket_source: None,
        rating: Rating {
            external_id: format!("csat{weeks_ago}"),
            kind: RatingKind::Csat,
            score: if this_week { 2.0 } else { 5.0 },
            scale: RatingScale::ONE_TO_FIVE,
            ticket_id: Some(format!("a{weeks_ago}")),
            agent_id: Some(AGENT.into()),
            comment: this_week.then(|| "Slow answer".into()),
            created_at: start + Duration::hours(13),
        },
    }
}

/// This week's report with `history_weeks` earlier weeks attached, and those weeks' reports
/// (most recent first), all from the same raw input of ten weeks (so the oldest week
/// reported also solves tickets of the week before it).
fn reports(business_hours: bool, history_weeks: u32) -> (KpiReport, Vec<KpiReport>) {
    let team = team(business_hours);
    let input = ReportInput {
        tickets: (0..10).flat_map(week_of_tickets).collect(),
        agents: vec![AgentInput {
            source: SRC.into(),
            agent: Agent {
                external_id: AGENT.into(),
                name: "Alice Martin".into(),
                is_bot: false,
            },
        }],
        ratings: (0..10).map(rating).collect(),
        ..ReportInput::default()
    };
    let history: Vec<KpiReport> = (1..=history_weeks)
        .map(|w| compute_report(&team, &week(w), &input))
        .collect();
    let mut report = compute_report(&team, &week(0), &input);
    attach_history(&mut report, &team, &history);
    (report, history)
}

fn status_word(s: TargetVerdict) -> &'static str {
    match s {
        TargetVerdict::Met => "MET",
        TargetVerdict::Missed => "MISSED",
        TargetVerdict::Unknown => "UNKNOWN",
    }
}

/// Every verdict of the digest is the report's: target badges (rows, costs, subject),
/// anomaly flags, trailing means and changes of the trended rows, attention lines, and the
/// suggestions in their order; and the text format prints the report's badges.
fn assert_the_digest_renders_the_reports_verdicts(d: &Digest, r: &KpiReport) {
    // Target badges: one per target row of the report, same status, same clock.
    assert_eq!(d.targets.len(), r.targets.len());
    for (shown, judged) in d.targets.iter().zip(&r.targets) {
        assert_eq!(shown.kpi, judged.kpi);
        assert_eq!(shown.status, judged.status, "{}", judged.kpi);
        assert_eq!(shown.business_time, judged.business_time, "{}", judged.kpi);
        assert_eq!(shown.value, judged.target, "{}", judged.kpi);
    }
    let judged = |kpi: &str| r.targets.iter().find(|t| t.kpi == kpi);
    let trend = |kpi: &str| {
        r.trends
            .as_ref()
            .and_then(|t| t.kpis.iter().find(|k| k.kpi == kpi))
    };
    let text = render_text(d);
    for k in d.headline.iter().chain(&d.more) {
        // A row's badge is the report's target row for it, and only that.
        assert_eq!(
            k.target.as_ref().map(|t| t.status),
            judged(k.id).map(|t| t.status),
            "{}",
            k.id
        );
        if let (Some(t), Some(j)) = (&k.target, judged(k.id)) {
            let badge = format!("target {} {}", t.text, status_word(j.status));
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(k.label))
                .unwrap();
            assert!(line.contains(&badge), "{badge:?} not in {line:?}");
        }
        // Anomaly flag, trailing mean and change: the report's trend, or none at all.
        match trend(k.id) {
            Some(t) => {
                assert_eq!(k.anomaly, t.anomaly, "{}", k.id);
                assert_eq!(k.trailing_mean, t.trailing_mean, "{}", k.id);
                assert_eq!(k.change, t.change, "{}", k.id);
                assert_eq!(k.series, t.series, "{}", k.id);
            }
            None => assert_eq!((k.anomaly, k.trailing_mean), (None, None), "{}", k.id),
        }
    }
    if let Some(c) = &d.costs {
        assert_eq!(
            c.ratio_target.as_ref().map(|t| t.status),
            c.ratio.and(judged("support_cost_ratio")).map(|t| t.status)
        );
    }
    // Attention: the report's missed targets, then its anomalies — nothing else.
    let missed: Vec<&str> = r
        .targets
        .iter()
        .filter(|t| t.status == TargetVerdict::Missed)
        .map(|t| t.kpi.as_str())
        .collect();
    let unusual: Vec<&str> = r
        .trends
        .iter()
        .flat_map(|t| &t.kpis)
        .filter(|t| t.anomaly == Some(true))
        .map(|t| t.kpi.as_str())
        .collect();
    let attention: Vec<&str> = d.attention.iter().map(|a| a.kpi).collect();
    assert_eq!(attention, [missed.clone(), unusual].concat());
    // Suggestions: the report's, word for word and in order.
    let suggested: Vec<&str> = r.suggestions.iter().map(|s| s.message.as_str()).collect();
    assert_eq!(d.suggestions, suggested);
    for s in &suggested {
        assert!(text.contains(s), "{s:?} not in the text digest");
    }
    // The subject counts the report's misses.
    let subject = RenderedDigest::render(d).unwrap().subject;
    match missed.len() {
        0 => assert!(!subject.contains("missed"), "{subject}"),
        1 => assert!(subject.ends_with("— 1 target missed"), "{subject}"),
        n => assert!(
            subject.ends_with(&format!("— {n} targets missed")),
            "{subject}"
        ),
    }
}

fn digest(r: &KpiReport, history: &[KpiReport]) -> Digest {
    Digest::build(&DigestInput::new(r, history))
}

fn target<'a>(r: &'a KpiReport, kpi: &str) -> &'a deskpulse_metrics::TargetCheck {
    r.targets.iter().find(|t| t.kpi == kpi).unwrap()
}

#[test]
fn every_badge_flag_and_suggestion_is_the_reports_with_and_without_business_hours() {
    for business_hours in [true, false] {
        for history_weeks in [8, 7, 0] {
            let (r, history) = reports(business_hours, history_weeks);
            let d = digest(&r, &history);
            assert_the_digest_renders_the_reports_verdicts(&d, &r);
            // The verdicts that matter here are really there to compare.
            assert_eq!(target(&r, "csat").status, TargetVerdict::Missed);
            assert!(
                r.suggestions
                    .iter()
                    .any(|s| s.rule == "tickets_waiting" && s.message.starts_with("1 ticket(s)")),
                "{:?}",
                r.suggestions
            );
        }
    }
}

#[test]
fn business_time_meets_the_target_the_calendar_misses_and_the_digest_says_met() {
    let (r, history) = reports(true, 8);
    let k = &r.kpis;
    // Calendar medians: 64h 45m and 65h 30m, far over 1 h and 8 h.
    assert_eq!(k.first_response_time.stats.median_seconds, Some(233_100.0));
    assert_eq!(k.resolution_time.stats.median_seconds, Some(235_800.0));
    // Business-time medians: 45 min and 2 h, within target: metrics says met.
    for (kpi, value) in [("first_response_time", 2700.0), ("resolution_time", 7200.0)] {
        let t = target(&r, kpi);
        assert_eq!(
            (t.status, t.value, t.business_time),
            (TargetVerdict::Met, Some(value), true),
            "{kpi}"
        );
    }
    let d = digest(&r, &history);
    assert_the_digest_renders_the_reports_verdicts(&d, &r);
    let frt = d.kpi("first_response_time").unwrap();
    // The row shows the calendar median and its trend; the badge says what was judged.
    assert_eq!(frt.value_text(), "2d 17h");
    assert_eq!(frt.target.as_ref().unwrap().status, TargetVerdict::Met);
    let text = render_text(&d);
    assert!(
        text.contains("target ≤ 1h MET (business hours: 45m)"),
        "{text}"
    );
    assert!(
        text.contains("target ≤ 8h MET (business hours: 2h)"),
        "{text}"
    );
    assert!(text.contains("business hours: median 45m"), "{text}");
    assert!(
        !d.attention
            .iter()
            .any(|a| a.kpi == "first_response_time" || a.kpi == "resolution_time")
    );
    assert!(
        !r.suggestions
            .iter()
            .any(|s| s.rule.ends_with("_over_target")),
        "{:?}",
        r.suggestions
    );

    // The same tickets for a team without business hours: judged on the calendar, missed.
    let (r, history) = reports(false, 8);
    for kpi in ["first_response_time", "resolution_time"] {
        let t = target(&r, kpi);
        assert_eq!(
            (t.status, t.business_time),
            (TargetVerdict::Missed, false),
            "{kpi}"
        );
    }
    let d = digest(&r, &history);
    assert_the_digest_renders_the_reports_verdicts(&d, &r);
    let text = render_text(&d);
    assert!(text.contains("target ≤ 1h MISSED"), "{text}");
    assert!(!text.contains("business hours"), "{text}");
    assert!(
        d.attention
            .iter()
            .any(|a| a.message == "First response (median) is 2d 17h (target ≤ 1h)"),
        "{:?}",
        d.attention
    );
}

#[test]
fn an_anomaly_over_eight_identical_weeks_is_flagged_and_not_before_eight() {
    let (r, history) = reports(true, 8);
    let trend = |r: &KpiReport, kpi: &str| {
        r.trends
            .as_ref()
            .unwrap()
            .kpis
            .iter()
            .find(|t| t.kpi == kpi)
            .cloned()
            .unwrap()
    };
    // Eight weeks of exactly 3 tickets: σ = 0, and this week's 4 is outside mean ± 3σ.
    let volume = trend(&r, "ticket_volume");
    assert_eq!(volume.series[..8], [Some(3.0); 8]);
    assert_eq!((volume.value, volume.anomaly), (Some(4.0), Some(true)));
    // Solved stays at 3: σ = 0 and no difference, no anomaly.
    assert_eq!(trend(&r, "solved").anomaly, Some(false));
    let d = digest(&r, &history);
    assert_the_digest_renders_the_reports_verdicts(&d, &r);
    assert_eq!(d.kpi("ticket_volume").unwrap().anomaly, Some(true));
    assert_eq!(d.kpi("solved").unwrap().anomaly, Some(false));
    // The attention line quotes metrics' trailing mean (the 4 previous weeks: 3).
    assert!(
        d.attention.iter().any(|a| a.kpi == "ticket_volume"
            && a.message
                == "Tickets created is unusual: 4 against 3 on average over the previous 4 periods"),
        "{:?}",
        d.attention
    );
    assert!(
        r.suggestions.iter().any(|s| s.rule == "volume_anomaly"),
        "{:?}",
        r.suggestions
    );

    // Seven earlier weeks are too few for metrics' rule: no flag anywhere, none in the
    // digest (whose own rule used to flag from four).
    let (r, history) = reports(true, 7);
    assert!(
        r.trends
            .as_ref()
            .unwrap()
            .kpis
            .iter()
            .all(|t| t.anomaly.is_none())
    );
    let d = digest(&r, &history);
    assert_the_digest_renders_the_reports_verdicts(&d, &r);
    assert!(
        d.headline
            .iter()
            .chain(&d.more)
            .all(|k| k.anomaly.is_none())
    );
    assert!(!d.attention.iter().any(|a| a.message.contains("unusual")));
}

#[test]
fn kpis_metrics_does_not_trend_show_a_change_and_no_verdict() {
    let (r, history) = reports(false, 8);
    let d = digest(&r, &history);
    // First contact resolution is not among metrics' trended KPIs: value and change
    // against last week's report, neutral, no flag, no target.
    let fcr = d.kpi("first_contact_resolution_rate").unwrap();
    assert!(
        r.trends
            .as_ref()
            .unwrap()
            .kpis
            .iter()
            .all(|t| t.kpi != fcr.id)
    );
    assert_eq!(fcr.value, Some(1.0));
    assert_eq!(fcr.previous, Some(1.0));
    assert_eq!(fcr.change, Some(0.0));
    assert_eq!(fcr.series.len(), 9);
    assert_eq!(fcr.polarity, deskpulse_digest::Polarity::Neutral);
    assert_eq!(
        (fcr.anomaly, fcr.trailing_mean, &fcr.target),
        (None, None, &None)
    );
}
