//! The Reviews section with the platforms' own figures: overall rating and its change,
//! review count, what each API can show (a sample's mean is named a sample's), and the
//! "Needs attention" item for negative reviews left without a reply for 48 h.

use serde_json::json;

use crate::build;
use crate::fixtures::sample;
use deskpulse_digest::{render_html, render_slack, render_text};

#[test]
fn platforms_show_their_overall_figures_and_coverage_in_every_format() {
    let mut s = sample(false);
    let mut v = serde_json::to_value(&s.report).unwrap();
    let r = &mut v["kpis"]["reviews"];
    r["by_platform"]["trustpilot"]["overall_rating"] = json!(4.5);
    r["by_platform"]["trustpilot"]["overall_change"] = json!(0.3);
    r["by_platform"]["trustpilot"]["total_reviews"] = json!(200);
    r["by_platform"]["trustpilot"]["coverage"] = json!("full");
    // Yelp: no new review of its own in the period, only the platform's figures.
    r["by_platform"]["yelp"] = json!({
        "n": 2, "mean_rating": 1.5, "distribution": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0},
        "share_negative": 1.0, "share_answered": null, "median_reply_seconds": null,
        "overall_rating": 3.5, "overall_change": null, "total_reviews": 212,
        "coverage": "aggregate_sample"
    });
    r["unanswered_negative_overdue"] = json!(2);
    s.report = serde_json::from_value(v).unwrap();
    let d = build(&s);
    let text = render_text(&d);
    let html = render_html(&d).unwrap().html;
    let slack = serde_json::to_string(&render_slack(&d)).unwrap();
    let tp =
        "Trustpilot: 3 new, mean 2.3/5, 33.3% answered · overall 4.5/5 (+0.3) from 200 reviews";
    let yelp = "Yelp: 2 in the sample, sample mean 1.5/5 · overall 3.5/5 from 212 reviews · the API shows overall figures and a few reviews only";
    let attention = "2 negative reviews of the period have waited more than 48 h for a reply";
    for (name, out) in [("text", &text), ("html", &html), ("slack", &slack)] {
        assert!(out.contains(tp), "{name}: {out}");
        assert!(out.contains(yelp), "{name}: {out}");
        assert!(out.contains(attention), "{name}: {out}");
    }
}
