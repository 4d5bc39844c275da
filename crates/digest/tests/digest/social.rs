//! Public response in the digest: the rate and the median reply time under "More KPIs" with
//! the metrics crate's verdicts, and "Needs attention" when the team misses its targets.

use serde_json::json;

use crate::build;
use crate::fixtures::{judge, sample};
use deskpulse_digest::{render_html, render_slack, render_text};

#[test]
fn public_response_shows_with_its_targets_and_a_miss_needs_attention() {
    let mut s = sample(false);
    let mut v = serde_json::to_value(&s.report).unwrap();
    v["kpis"]["public_response"] = json!({
        "n": 40, "answered": 26, "rate": 0.65, "median_seconds": 4500,
        "p90_seconds": 30000, "within_target": 0.4,
        "by_platform": {"x": {"n": 30, "answered": 20, "rate": 0.6666667,
            "median_seconds": 4000, "p90_seconds": 28000, "within_target": 0.45}}
    });
    s.report = judge(serde_json::from_value(v).unwrap());
    let d = build(&s);
    let text = render_text(&d);
    let html = render_html(&d).unwrap().html;
    let slack = serde_json::to_string(&render_slack(&d)).unwrap();
    for (name, out) in [("text", &text), ("html", &html), ("slack", &slack)] {
        // Both misses (65 % < 80 %, 1h 15m > 1h) are in "Needs attention".
        assert!(
            out.contains("Public response rate is 65% (target ≥ 80%)"),
            "{name}: {out}"
        );
        assert!(
            out.contains("Public response time (median) is 1h 15m (target ≤ 1h)"),
            "{name}: {out}"
        );
    }
    assert!(text.contains("Public response rate"), "{text}");
}
