//! How fresh and how final the numbers are, in every format: the header's data line, the
//! banner and subject of an incomplete period, a failing source under "Needs attention",
//! restated earlier periods, hostile source names and vendor errors made inert, and a
//! report without freshness rendered as before. Every verdict comes from the metrics crate
//! (`attach_freshness`, `restate`) applied to storage-shaped values.

use chrono::{DateTime, Utc};
use deskpulse_digest::escape::{ERROR_CHARS, truncate};
use deskpulse_digest::{RenderedDigest, trust::Trust};
use deskpulse_metrics::{
    KpiReport, RESTATEMENT_THRESHOLD, attach_freshness, restate, told_figures,
};
use deskpulse_model::{LateChanges, SourceFreshness, ToldFigures};

use crate::fixtures::{SCRIPT, Sample, report, sample, weeks};
use crate::hostile::assert_slack_inert;
use crate::{assert_valid_block_kit, build, slack_texts};

/// The sample's period, 2026-W47, ends 2026-11-23 00:00 CET; the digest is made at 08:00.
const AS_OF: &str = "2026-11-23T07:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn complete(source: &str, through: &str) -> SourceFreshness {
    SourceFreshness {
        complete_through: Some(at(through)),
        last_success_at: Some(at(through)),
        ..SourceFreshness::never_synced(source)
    }
}

/// A first sync still reading `stream`.
fn first_sync(source: &str, stream: &str) -> SourceFreshness {
    SourceFreshness {
        incomplete_streams: vec![stream.into()],
        ..SourceFreshness::never_synced(source)
    }
}

/// Complete through Saturday morning, failing every sync since, with `error`.
fn failing(source: &str, error: &str) -> SourceFreshness {
    SourceFreshness {
        last_error: Some(error.into()),
        failing_since: Some(at("2026-11-21T09:15:00Z")),
        ..complete(source, "2026-11-21T09:00:00Z")
    }
}

/// The sample with `sources` judged by the metrics crate at [`AS_OF`].
fn with_sources(sources: &[SourceFreshness]) -> Sample {
    let mut s = sample(false);
    attach_freshness(&mut s.report, sources, &[], at(AS_OF));
    s
}

/// The subject, text, HTML and every Slack text (joined) of `s`'s digest; the Slack message
/// checked against Block Kit's limits.
struct Out {
    subject: String,
    text: String,
    html: String,
    slack: String,
    slack_json: serde_json::Value,
}

impl Out {
    /// The three formats, named.
    fn formats(&self) -> [(&'static str, &str); 3] {
        [
            ("text", &self.text),
            ("HTML", &self.html),
            ("Slack", &self.slack),
        ]
    }
}

fn render(s: &Sample) -> Out {
    let r = RenderedDigest::render(&build(s)).unwrap();
    let slack_json = serde_json::to_value(&r.slack).unwrap();
    assert_valid_block_kit(&slack_json);
    Out {
        subject: r.subject,
        text: r.text,
        html: r.html.html,
        slack: slack_texts(&slack_json).join("\n"),
        slack_json,
    }
}

/// Index of the first Slack block whose text or fields contain `needle`.
fn slack_block(v: &serde_json::Value, needle: &str) -> usize {
    v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .position(|b| b.to_string().contains(needle))
        .unwrap_or_else(|| panic!("no Slack block holds {needle:?}"))
}

fn before(out: &str, first: &str, second: &str) -> bool {
    match (out.find(first), out.find(second)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

const SUBJECT: &str = "deskpulse digest — support — 2026-W47 — 4 targets missed";

#[test]
fn complete_data_shows_each_source_complete_through_in_the_header_and_no_banner() {
    let s = with_sources(&[
        complete("zendesk-main", "2026-11-23T06:59:00Z"),
        complete("trustpilot", "2026-11-23T05:00:00Z"),
    ]);
    assert_eq!(s.report.data_complete, Some(true));
    let out = render(&s);
    let line = "Data: zendesk-main complete through 2026-11-23 07:59 CET · trustpilot complete through 2026-11-23 06:00 CET";
    for (name, o) in out.formats() {
        assert!(o.contains(line), "{name} lacks the data line: {o}");
        assert!(
            !o.to_lowercase().contains("incomplete"),
            "{name} has a banner"
        );
        assert!(!o.contains("Restated"), "{name} restates nothing");
    }
    // In the header: under the title and period lines, above the headline KPIs.
    assert!(before(&out.text, "Changes are against", line) && before(&out.text, line, "Headline"));
    assert!(before(&out.html, "compared with", line) && before(&out.html, line, ">Headline<"));
    assert_eq!(
        slack_block(&out.slack_json, line),
        2,
        "the context under the title's"
    );
    assert_eq!(out.subject, SUBJECT);
    assert!(
        out.slack_json["text"]
            .as_str()
            .unwrap()
            .starts_with("deskpulse digest")
    );
}

#[test]
fn an_incomplete_period_opens_with_a_banner_naming_each_late_source_and_the_subject_says_so() {
    let s = with_sources(&[
        first_sync("zendesk-main", "ticket_events"),
        SourceFreshness::never_synced("trustpilot"),
    ]);
    assert_eq!(s.report.data_complete, Some(false));
    let out = render(&s);
    let banner = "These numbers are incomplete: zendesk-main — its first sync is still running (ticket_events not read to the end yet); trustpilot — never synced. They may still change.";
    for (name, o) in out.formats() {
        assert!(o.contains(banner), "{name} lacks the banner: {o}");
        // The header line says the same per source.
        assert!(
            o.contains("Data: zendesk-main — its first sync is still running (ticket_events not read to the end yet) · trustpilot — never synced"),
            "{name} lacks the data line"
        );
    }
    // Before the headline KPIs, in each format's loud form.
    assert!(
        out.text
            .contains("!! INCOMPLETE DATA !!\nThese numbers are incomplete:")
    );
    assert!(before(&out.text, "INCOMPLETE DATA", "Headline"));
    let box_at = out
        .html
        .find("border:2px solid #dc2626")
        .expect("a red box");
    assert!(box_at < out.html.find(banner).unwrap());
    assert!(before(&out.html, banner, ">Headline<"));
    let b = slack_block(&out.slack_json, banner);
    assert_eq!(out.slack_json["blocks"][b]["type"], "section");
    let section = out.slack_json["blocks"][b]["text"]["text"]
        .as_str()
        .unwrap();
    assert!(
        section.starts_with(":warning: *INCOMPLETE DATA*\n"),
        "{section}"
    );
    assert!(
        b < slack_block(&out.slack_json, "*Tickets created*"),
        "the banner comes before the headline KPIs"
    );
    // The subject, and Slack's notification text, say it before anyone opens the digest.
    assert_eq!(out.subject, format!("[incomplete] {SUBJECT}"));
    assert!(
        out.slack_json["text"]
            .as_str()
            .unwrap()
            .starts_with("[incomplete] deskpulse digest — support — 2026-W47")
    );
}

#[test]
fn a_source_failing_for_over_a_day_comes_first_under_needs_attention_in_every_format() {
    let s = with_sources(&[
        failing("zendesk-main", "HTTP 503 from /api/v2/incremental/tickets"),
        complete("trustpilot", "2026-11-23T05:00:00Z"),
    ]);
    assert!(s.report.freshness[0].failing && !s.report.freshness[1].failing);
    let d = build(&s);
    let want = "Source zendesk-main has failed every sync since 2026-11-21 10:15 CET: its numbers stop there (last error: HTTP 503 from /api/v2/incremental/tickets)";
    assert_eq!(d.attention[0].message, want);
    assert_eq!(d.attention[0].kpi, "data_freshness");
    assert_eq!(
        d.attention
            .iter()
            .filter(|a| a.kpi == "data_freshness")
            .count(),
        1,
        "one item per failing source"
    );
    let out = render(&s);
    // First in the list, in every format.
    assert!(
        out.text
            .contains(&format!("Needs attention\n---------------\n  ! {want}\n"))
    );
    let items = &out.html[out.html.find(">Needs attention<").unwrap()..];
    assert_eq!(items.matches("&#9888;").count(), d.attention.len());
    let first_item = &items[items.find("&#9888; ").unwrap() + "&#9888; ".len()..];
    assert!(first_item.starts_with(want), "{first_item}");
    assert!(
        out.slack
            .contains(&format!("*Needs attention*\n:warning: {want}\n"))
    );
    // Its data stops on Saturday: the period is incomplete too.
    assert!(
        out.text
            .contains("zendesk-main — data only through 2026-11-21 10:00 CET")
    );
}

#[test]
fn a_restated_period_lists_each_changed_figure_after_the_headline_in_every_format() {
    // Week 46 as the team was told it on Monday 08:00: 40 tickets, first response 1h.
    let mut w46 = weeks()[1];
    w46.volume = 40;
    w46.frt = 3600.0;
    let told_report = report("support", 1, w46, vec![]);
    let told = ToldFigures {
        period: told_report.period.label.clone(),
        told_at: at("2026-11-16T07:00:00Z"),
        values: told_figures(&told_report),
    };
    assert_eq!(told.period, "2026-W46");
    // Now: two tickets of week 46 arrived late; first response is 1h 10m.
    let mut v = serde_json::to_value(&told_report).unwrap();
    v["kpis"]["ticket_volume"]["value"] = 42.into();
    v["kpis"]["first_response_time"]["median_seconds"] = 4200.into();
    let now: KpiReport = serde_json::from_value(v).unwrap();
    let late = LateChanges {
        late_tickets: 2,
        ..LateChanges::default()
    };
    let restated = restate(&told, &now, &late, RESTATEMENT_THRESHOLD).expect("a restatement");
    assert_eq!(restated.changes.len(), 2);
    let lines: Vec<String> = restated.changes.iter().map(|c| c.line()).collect();
    assert_eq!(lines[0], "Tickets created: 40 → 42");
    assert_eq!(lines[1], "First response (median): 1h 00m → 1h 10m");
    let why = restated.why();
    assert!(
        why.starts_with("Why: 2 tickets were created in 2026-W46"),
        "{why}"
    );

    let mut s = sample(false);
    s.report.restatements = vec![restated];
    let out = render(&s);
    let heading = "2026-W46 changed since it was reported on 2026-11-16 08:00 CET:";
    for (name, o) in out.formats() {
        assert!(o.contains("Restated"), "{name} lacks the section");
        assert!(o.contains(heading), "{name} lacks the heading: {o}");
        for l in lines.iter().chain([&why]) {
            assert!(o.contains(l.as_str()), "{name} lacks {l:?}");
        }
        // After the headline KPIs, before what needs attention.
        assert!(before(o, "Restated", "Needs attention"), "{name}");
    }
    assert!(before(&out.text, "Headline", "Restated"));
    assert!(out.text.contains(&format!(
        "  {heading}\n    - {}\n    - {}\n    - {why}\n",
        lines[0], lines[1]
    )));
    assert!(before(&out.html, ">Headline<", ">Restated<"));
    assert!(out.html.contains(&format!("&#8226; {}", lines[1])));
    let r = slack_block(&out.slack_json, "*Restated*");
    assert!(r > slack_block(&out.slack_json, "*Tickets created*"));
    assert!(out.slack.contains(&format!(
        "*Restated*\n_{heading}_\n• {}\n• {}",
        lines[0], lines[1]
    )));
    // A restatement alone neither holds nor flags the period.
    assert_eq!(out.subject, SUBJECT);
}

#[test]
fn hostile_source_names_and_vendor_errors_are_inert_and_cut() {
    // A name within NAME_CHARS (a longer one is cut like any name), and an error far over
    // ERROR_CHARS.
    let name = "<!channel> *bold* <script>x</script>";
    let error = format!("{SCRIPT} <!channel> *bold* {}", "x".repeat(5_000));
    let mut hostile = failing(name, &error);
    // Its first sync never completed, on a stream as hostile as the source.
    hostile.complete_through = None;
    hostile.incomplete_streams = vec!["tickets_<@U123>".into()];
    let s = with_sources(&[hostile]);
    assert!(s.report.freshness[0].failing && s.report.data_complete == Some(false));
    let out = render(&s);
    let cut_error = truncate(&error, ERROR_CHARS);
    assert!(cut_error.ends_with('…') && cut_error.chars().count() == ERROR_CHARS);
    let long = "x".repeat(ERROR_CHARS);

    // HTML: text, not markup; the error cut.
    let html = &out.html;
    assert!(!html.to_lowercase().contains("<script") && !html.contains("<!channel>"));
    assert!(!html.contains("<@U123>"));
    let html_name = "&#60;!channel&#62; *bold* &#60;script&#62;x&#60;/script&#62;";
    assert_eq!(
        html.matches(html_name).count(),
        3,
        "the data line, the banner and the attention item name it: {html}"
    );
    assert!(html.contains(
        "(last error: &#60;script&#62;alert(1)&#60;/script&#62; &#60;!channel&#62; *bold* xxx"
    ));
    assert!(html.contains("tickets_&#60;@U123&#62;"));
    assert!(!html.contains(&long), "the vendor's error is cut");

    // Slack: no mention, no link, no markup from the source or its vendor.
    assert_slack_inert(&slack_texts(&out.slack_json));
    let slack = &out.slack;
    assert!(!slack.contains("*bold*"), "{slack}");
    let slack_name = "&lt;!channel&gt; ∗bold∗ &lt;script&gt;x&lt;/script&gt;";
    assert_eq!(slack.matches(slack_name).count(), 3, "{slack}");
    assert!(slack.contains(
        "(last error: &lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt; ∗bold∗ xxx"
    ));
    // The stream name's `_` could open italics before the `<`: a look-alike.
    assert!(slack.contains("ticketsˍ&lt;@U123&gt;"), "{slack}");
    assert!(!slack.contains(&long));

    // Text: shown as it is, cut the same way.
    assert!(
        out.text
            .contains(&format!("Source {name} has failed every sync"))
    );
    assert!(out.text.contains(&format!("(last error: {cut_error})")));
    assert!(!out.text.contains(&long));
}

#[test]
fn a_report_without_freshness_renders_as_before() {
    let plain = sample(false);
    assert_eq!(plain.report.data_complete, None);
    assert!(plain.report.freshness.is_empty() && plain.report.restatements.is_empty());
    let d = build(&plain);
    assert_eq!(d.trust, Trust::default());
    let before = render(&plain);
    for (name, o) in before.formats() {
        for absent in ["Data:", "INCOMPLETE", "incomplete", "Restated"] {
            assert!(!o.contains(absent), "{name} shows {absent:?}");
        }
    }
    assert_eq!(before.subject, SUBJECT);
    // A team without sources: nothing to say either, and the same bytes.
    let none = with_sources(&[]);
    assert_eq!(none.report.data_complete, Some(true));
    let after = render(&none);
    assert_eq!(
        (after.subject, after.text, after.html, after.slack),
        (before.subject, before.text, before.html, before.slack)
    );
}
