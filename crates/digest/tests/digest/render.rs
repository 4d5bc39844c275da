//! What each format shows: numbers agree with the report, targets and changes, trends,
//! sections without data left out, Slack limits.

use deskpulse_digest::escape::NAME_CHARS;
use deskpulse_digest::{
    Digest, DigestInput, RenderedDigest, TargetVerdict, render_html, render_slack, render_text,
};

use crate::fixtures::{self, Week, agent, report, sample};
use crate::{assert_valid_block_kit, build, slack_texts};

fn all_formats(d: &Digest) -> (String, String, String) {
    let text = render_text(d);
    let html = render_html(d).unwrap().html;
    let slack = serde_json::to_string(&render_slack(d)).unwrap();
    (text, html, slack)
}

#[test]
fn numbers_agree_with_the_report_in_every_format() {
    let s = sample(false);
    let d = build(&s);
    let (text, html, slack) = all_formats(&d);
    let k = &s.report.kpis;
    // The report: 142 created, 131 solved, backlog 37, FRT median 5400 s, CSAT 0.84.
    assert_eq!(k.ticket_volume.value, 142);
    assert_eq!(k.solved.value, 131);
    assert_eq!(k.first_response_time.stats.median_seconds, Some(5400.0));
    let expected = [
        ("ticket_volume", "142"),
        ("solved", "131"),
        ("backlog", "37"),
        ("first_response_time", "1h 30m"),
        ("resolution_time", "6h 10m"),
        ("csat", "84%"),
    ];
    for (id, value) in expected {
        let kpi = d.kpi(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(kpi.value_text(), value, "{id}");
        for (name, out) in [("text", &text), ("html", &html), ("slack", &slack)] {
            assert!(out.contains(value), "{name} lacks {id} = {value}");
        }
    }
    // Agents: Alice solved 41 with a 93% CSAT over 10 responses.
    for out in [&text, &html, &slack] {
        assert!(out.contains("Alice Martin"));
        assert!(out.contains("93% (n=10)"));
    }
    // Costs and social.
    for out in [&text, &html, &slack] {
        assert!(out.contains("14.20 EUR"));
        assert!(out.contains("12840"));
    }
}

#[test]
fn changes_targets_and_trends() {
    let d = build(&sample(false));
    let ws = fixtures::weeks();
    let volume = d.kpi("ticket_volume").unwrap();
    assert_eq!(volume.previous, Some(ws[1].volume as f64));
    assert_eq!(ws[1].volume, 145);
    assert_eq!(volume.change_text().unwrap(), "▼ −3 (−2.1%)");
    assert_eq!(volume.series.len(), 12);
    assert_eq!(volume.sparkline().chars().count(), 12);

    let frt = d.kpi("first_response_time").unwrap();
    assert_eq!(frt.target.as_ref().unwrap().status, TargetVerdict::Missed);
    assert_eq!(frt.target.as_ref().unwrap().text, "≤ 1h");
    // 5400 s against 5220 s the week before: +3m (+3.4%), which is bad news.
    assert_eq!(frt.change_text().unwrap(), "▲ +3m (+3.4%)");
    assert_eq!(frt.change_is_good(), Some(false));
    let res = d.kpi("resolution_time").unwrap();
    assert_eq!(res.target.as_ref().unwrap().status, TargetVerdict::Met);
    let csat = d.kpi("csat").unwrap();
    assert_eq!(csat.target.as_ref().unwrap().status, TargetVerdict::Missed);
    assert_eq!(csat.change_text().unwrap(), "▼ −0.6 pp");

    // Misses are called out, with what to look at (the metrics crate's rules and words).
    assert!(d.attention.iter().any(|a| a.kpi == "first_response_time"));
    assert!(d.attention.iter().any(|a| a.kpi == "csat"));
    assert!(d.attention.iter().any(|a| a.kpi == "support_cost_ratio"));
    assert!(!d.attention.iter().any(|a| a.kpi == "resolution_time"));
    let all = d.suggestions.join("\n");
    assert!(all.contains("at 14:00–15:00"), "{all}");
    assert!(all.contains("the 4 unsatisfied ratings"), "{all}");
    assert!(all.contains("3 new reviews have no reply"), "{all}");

    let text = render_text(&d);
    assert!(text.contains("target ≤ 1h MISSED"), "{text}");
    assert!(text.contains("target ≥ 90% MISSED"), "{text}");
    assert!(text.contains("target ≤ 8h MET"), "{text}");
    let slack = serde_json::to_string(&render_slack(&d)).unwrap();
    assert!(slack.contains(":x: target ≤ 1h missed"), "{slack}");
    assert!(
        slack.contains(":white_check_mark: target ≤ 8h met"),
        "{slack}"
    );
}

#[test]
fn a_jump_outside_three_sigma_is_an_anomaly() {
    let mut ws = fixtures::weeks();
    ws[0].volume = 400;
    let r = report("support", 0, ws[0], vec![]);
    let history: Vec<_> = (1..12)
        .map(|i| report("support", i, ws[i as usize], vec![]))
        .collect();
    let r = fixtures::with_history(r, &history);
    let d = Digest::build(&DigestInput::new(&r, &history));
    assert_eq!(d.kpi("ticket_volume").unwrap().anomaly, Some(true));
    assert!(
        d.attention
            .iter()
            .any(|a| a.kpi == "ticket_volume" && a.message.contains("unusual"))
    );
    assert!(d.suggestions.iter().any(|s| s.contains("incident")));
    // The normal sample has none.
    assert!(
        build(&sample(false))
            .headline
            .iter()
            .all(|k| k.anomaly != Some(true))
    );
}

#[test]
fn html_is_a_self_contained_table_layout_with_inline_charts() {
    let d = build(&sample(false));
    let email = render_html(&d).unwrap();
    let html = &email.html;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<table role=\"presentation\""));
    for banned in [
        "display:flex",
        "display:grid",
        "<link",
        "<script",
        "http://",
        "https://",
        "url(",
    ] {
        assert!(!html.contains(banned), "HTML contains {banned}");
    }
    // One chart per headline KPI, each referenced by cid: and a real PNG.
    assert_eq!(email.images.len(), d.headline.len());
    for img in &email.images {
        assert!(
            html.contains(&format!("src=\"cid:{}\"", img.content_id)),
            "{}",
            img.content_id
        );
        assert_eq!(&img.png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(img.png.len() > 1000);
    }
    assert_eq!(html.matches("src=\"cid:").count(), email.images.len());
    // The preview variant points at the files instead.
    let preview = email.html_with_files();
    assert!(!preview.contains("cid:"));
    assert!(preview.contains("src=\"chart-ticket_volume.png\""));
}

#[test]
fn sections_without_data_are_left_out_in_every_format() {
    // A quiet week: no reviews, no social, no costs, no agents, no survey comments, no
    // history, no CSAT responses.
    let w = Week {
        volume: 12,
        solved: 10,
        backlog: 4,
        frt: 1800.0,
        resolution: 7200.0,
        csat: 0.0,
        csat_n: 0,
        reopen: 0.0,
    };
    let r = report("quiet", 0, w, vec![]);
    let d = Digest::build(&DigestInput::new(&r, &[]));
    assert!(d.reviews.is_none() && d.social.is_empty() && d.costs.is_none());
    assert!(d.agents.is_empty() && d.comments.is_empty());
    // CSAT has no data and no earlier data: left out, not shown as 0%.
    assert!(d.kpi("csat").is_none());
    assert!(d.previous_label.is_none());
    let (text, html, slack) = all_formats(&d);
    for (name, out) in [("text", &text), ("html", &html), ("slack", &slack)] {
        for section in [
            "Reviews",
            "Social",
            "Costs",
            "Agents",
            "Survey comments",
            "CSAT",
            "Lowest rated",
        ] {
            assert!(!out.contains(section), "{name} shows an empty {section}");
        }
    }
    // Without history there is no change, no sparkline and no chart.
    assert!(text.contains("No earlier period"));
    assert!(!text.contains('▲') && !text.contains('▼'));
    assert!(render_html(&d).unwrap().images.is_empty());
    assert!(!html.contains("cid:"));
    // Met targets: no miss to call out (the 3 tickets still waiting are a suggestion).
    assert!(d.attention.is_empty());
    assert!(text.contains("3 ticket(s) created this period still wait for a first reply"));

    // A report with only zero counts still shows them (a count of 0 is data), but no rates.
    let zero = Week {
        volume: 0,
        solved: 0,
        backlog: 0,
        ..w
    };
    let r = report("zero", 0, zero, vec![agent("Idle", 0, 0.0, 0.0, None)]);
    let d = Digest::build(&DigestInput::new(&r, &[]));
    assert!(d.channels.is_empty());
    assert!(
        d.agents.is_empty(),
        "an agent with nothing solved and no rating is no row"
    );
    assert!(d.more.iter().all(|k| k.value.is_some()));
    assert!(d.kpi("one_touch_resolution_rate").is_none());
}

#[test]
fn a_targeted_kpi_without_data_this_week_says_unknown() {
    let s = sample(false);
    let mut ws = fixtures::weeks();
    ws[0].csat_n = 0;
    let r = report("support", 0, ws[0], vec![]);
    let d = Digest::build(&DigestInput::new(&r, &s.history));
    let csat = d.kpi("csat").unwrap();
    assert_eq!(csat.value, None);
    assert_eq!(csat.target.as_ref().unwrap().status, TargetVerdict::Unknown);
    let text = render_text(&d);
    assert!(
        text.contains("no data") && text.contains("UNKNOWN"),
        "{text}"
    );
    assert!(!text.contains("0%  "), "{text}");
}

#[test]
fn slack_stays_within_limits_and_truncates_long_lists() {
    let d = build(&sample(false));
    let v = serde_json::to_value(render_slack(&d)).unwrap();
    assert_valid_block_kit(&v);
    assert_eq!(v["blocks"][0]["type"], "header");
    assert_eq!(
        v["blocks"].as_array().unwrap().last().unwrap()["type"],
        "context"
    );

    // 300 agents with long names, reviews of 2,000 characters.
    let mut s = sample(false);
    let agents: Vec<_> = (0..300)
        .map(|i| {
            agent(
                &format!("Agent number {i} with a rather long name indeed"),
                3,
                3000.0,
                20000.0,
                Some(0.9),
            )
        })
        .collect();
    let ws = fixtures::weeks();
    s.report = fixtures::with_public(report(&"team".repeat(60), 0, ws[0], agents));
    s.reviews = (0..50)
        .map(|i| {
            fixtures::review(
                &format!("r{i}"),
                "trustpilot",
                1.0,
                &"bad & <worse> ".repeat(150),
                "X",
                false,
            )
        })
        .collect();
    let d = build(&s);
    let v = serde_json::to_value(render_slack(&d)).unwrap();
    assert_valid_block_kit(&v);
    let texts = slack_texts(&v).join("\n");
    assert!(
        texts.contains("…and 285 more"),
        "the agent table says how many it left out"
    );
    // The long team name is cut (to the shared name limit) inside the header, so the
    // period after it still shows.
    let header = v["blocks"][0]["text"]["text"].as_str().unwrap();
    let team: String = "team".repeat(60).chars().take(NAME_CHARS - 1).collect();
    assert!(
        header.contains(&format!("{team}…")) && header.ends_with("2026-W47"),
        "{header}"
    );
}

#[test]
fn subject_names_team_period_and_misses() {
    let d = build(&sample(false));
    let r = RenderedDigest::render(&d).unwrap();
    assert_eq!(
        r.subject,
        // First response, CSAT, the cost ratio and the public response rate (76.6 % < 80 %).
        "deskpulse digest — support — 2026-W47 — 4 targets missed"
    );
}

#[test]
fn insights_attached_by_the_metrics_crate_are_used() {
    // `attach_history` in the metrics crate adds these keys to the report JSON.
    let s = sample(false);
    let mut v = serde_json::to_value(&s.report).unwrap();
    v["suggestions"] = serde_json::json!([
        {"rule": "frt_missed_peak_hour", "kpi": "first_response_time",
         "message": "Staff the 14:00 peak: <b>that</b> is where waits pile up."}
    ]);
    v["forecast"] = serde_json::json!({
        "kpi": "ticket_volume", "method": "ses", "value": 150, "lower": 131, "upper": 169,
        "level": 0.8, "alpha": 0.5, "n": 12,
        "staffing": {"agents_now": 4, "tickets_per_agent": 35.5, "agents_needed": 5, "agents_needed_upper": 5}
    });
    v["trends"] = serde_json::json!({"periods": 11, "kpis": [
        {"kpi": "backlog", "better": "lower", "value": 37, "previous": 36, "change": 1,
         "trailing_mean": 35, "anomaly": true, "series": [37]}
    ]});
    let report: deskpulse_metrics::KpiReport = serde_json::from_value(v).unwrap();
    let d = Digest::build(&DigestInput {
        report: &report,
        history: &s.history,
        reviews: &s.reviews,
        ratings: &s.ratings,
    });
    assert_eq!(
        d.suggestions,
        ["Staff the 14:00 peak: <b>that</b> is where waits pile up."]
    );
    assert_eq!(d.kpi("backlog").unwrap().anomaly, Some(true));
    let f = d.forecast.as_ref().unwrap();
    assert_eq!(
        f.summary(),
        "Next period: about 150 tickets (80% interval 131–169). At this period's pace that needs 5 agent(s), 5 at the upper end (4 agent(s) solved tickets this period)."
    );
    let (text, html, slack) = all_formats(&d);
    for out in [&text, &html, &slack] {
        assert!(out.contains("about 150 tickets"));
        assert!(out.contains("Staff the 14:00 peak"));
    }
    assert!(html.contains("&#60;b&#62;that") && !html.contains("<b>that"));
    assert!(slack.contains("&lt;b&gt;that"));
}

#[test]
fn poor_agreement_with_the_vendor_is_a_line_under_more_kpis_in_every_format() {
    let s = sample(false);
    let mut d = build(&s);
    d.vendor_checks.push(deskpulse_digest::VendorCheck {
        source: "zd <!channel> & <b>x</b>".into(),
        kpi: "first response",
        share: 0.72,
        tickets: 40,
        reason: "bot or automation replies".into(),
    });
    let (text, html, slack) = all_formats(&d);
    let want = "first response agrees with the vendor's own figures on 72% of 40 tickets — mostly bot or automation replies";
    assert!(text.contains(want), "{text}");
    assert!(
        text.contains("zd <!channel> & <b>x</b>: first response"),
        "{text}"
    );
    assert!(
        html.contains("zd &#60;!channel&#62; &#38; &#60;b&#62;x&#60;/b&#62;: first response"),
        "{html}"
    );
    assert!(!html.contains("<b>x</b>"));
    assert!(
        slack.contains("zd &lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt;: first response"),
        "{slack}"
    );
    assert!(!slack.contains("<!channel>"));
    // Without checks the line is not there.
    let (text, _, _) = all_formats(&build(&s));
    assert!(!text.contains("vendor's own figures"));
}
