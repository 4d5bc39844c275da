//! Review platforms' own overall figures (rating snapshots) and coverage: the overall rating
//! at the period's end and its change, and a sampled platform (Yelp, Places) kept out of the
//! figures its sample cannot stand for.

use super::kpis::{replied, review, run};
use super::*;
use deskpulse_metrics::RatingSnapshotInput;
use deskpulse_model::{RatingSnapshot, ReviewCoverage};
use serde_json::json;

fn snap(
    platform: &str,
    account: &str,
    rating: Option<f64>,
    total: Option<u64>,
    coverage: ReviewCoverage,
    time: &str,
) -> RatingSnapshotInput {
    RatingSnapshotInput {
        source: format!("{platform}-main"),
        snapshot: RatingSnapshot {
            platform: platform.into(),
            account: account.into(),
            overall_rating: rating,
            total_reviews: total,
            coverage,
            observed_at: at(time),
        },
    }
}

fn input() -> ReportInput {
    use ReviewCoverage::{AggregateSample, Full};
    ReportInput {
        reviews: vec![
            replied(
                review("trustpilot", "t1", 5.0, "2026-11-10T08:00:00Z"),
                "2026-11-10T09:00:00Z",
            ),
            review("trustpilot", "t2", 1.0, "2026-11-11T08:00:00Z"),
            // Negative and unanswered, but only 40 h before the end: not yet overdue.
            review("trustpilot", "t4", 2.0, "2026-11-14T08:00:00Z"),
            // Yelp's excerpts: a sample, never answered as far as the API tells.
            review("yelp", "y1", 1.0, "2026-11-12T08:00:00Z"),
            review("yelp", "y2", 2.0, "2026-11-12T09:00:00Z"),
        ],
        rating_snapshots: vec![
            // Before the start: the figures the change is measured from.
            snap(
                "trustpilot",
                "bu1",
                Some(4.0),
                Some(100),
                Full,
                "2026-11-08T06:00:00Z",
            ),
            snap(
                "trustpilot",
                "bu1",
                Some(4.5),
                Some(103),
                Full,
                "2026-11-15T06:00:00Z",
            ),
            // After the end: not the period's.
            snap(
                "trustpilot",
                "bu1",
                Some(1.0),
                Some(500),
                Full,
                "2026-11-16T06:00:00Z",
            ),
            // Two Trustpilot accounts are weighted by their counts.
            snap(
                "trustpilot",
                "bu2",
                Some(3.0),
                Some(97),
                Full,
                "2026-11-14T06:00:00Z",
            ),
            // Yelp described only within the period: no change.
            snap(
                "yelp",
                "acme-sf",
                Some(3.5),
                Some(212),
                AggregateSample,
                "2026-11-13T06:00:00Z",
            ),
        ],
        ..ReportInput::default()
    }
}

#[test]
fn overall_rating_at_the_end_its_change_and_the_coverage() {
    let r = run(&w46(), &team(false), input());
    let k = &r.kpis.reviews;
    let tp = &k.by_platform["trustpilot"];
    // (4.5 × 103 + 3.0 × 97) / 200 = (463.5 + 291) / 200 = 3.7725
    assert_eq!(tp.overall_rating, Some(3.7725));
    assert_eq!(tp.total_reviews, Some(200));
    // At the start only bu1 was described: 4.0 from 100 reviews → 3.7725 − 4.0; 200 − 100.
    assert_eq!(tp.overall_change, Some(-0.2275));
    assert_eq!(tp.total_change, Some(100));
    assert_eq!(tp.coverage, Some(ReviewCoverage::Full));
    let y = &k.by_platform["yelp"];
    assert_eq!(
        (y.overall_rating, y.total_reviews, y.overall_change),
        (Some(3.5), Some(212), None)
    );
    assert_eq!(y.coverage, Some(ReviewCoverage::AggregateSample));
    // The sample's own statistics are there, but not an answered share it cannot know.
    assert_eq!((y.n, y.mean_rating), (2, Some(1.5)));
    assert_eq!((y.share_answered, y.median_reply_seconds), (None, None));
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["kpis"]["reviews"]["by_platform"]["yelp"]["coverage"],
        json!("aggregate_sample")
    );
    assert_eq!(
        j["kpis"]["reviews"]["by_platform"]["trustpilot"]["overall_rating"],
        json!(3.7725)
    );
}

#[test]
fn a_sampled_platform_stays_out_of_the_totals_but_its_complaints_count() {
    let r = run(&w46(), &team(false), input());
    let k = &r.kpis.reviews;
    // Over Trustpilot only: t1 (5★, answered after 1 h), t2 (1★) and t4 (2★) unanswered:
    // mean (5 + 1 + 2) / 3 = 2.666667, 1 of 3 answered.
    assert_eq!((k.all.n, k.all.mean_rating), (3, Some(2.666667)));
    assert_eq!(k.all.share_answered, Some(1.0 / 3.0));
    assert_eq!(k.all.median_reply_seconds, Some(3600.0));
    assert_eq!(k.unanswered, 2);
    assert_eq!(k.unanswered_negative_count, 2);
    assert_eq!(k.unanswered_negative[0].external_id, "t2");
    // t2 (11-11 08:00) has waited more than 48 h by the period's end (11-16 00:00).
    assert_eq!(k.unanswered_negative_overdue, 1);
    assert!(k.worst.iter().all(|q| q.platform == "trustpilot"));
    // Complaints: t2, t4, y1 and y2 are all ≤ 2 stars.
    assert_eq!(r.kpis.complaints.reviews, 4);
}

#[test]
fn a_platform_with_a_snapshot_and_no_new_review_still_has_its_row() {
    let mut i = input();
    i.reviews.clear();
    let r = run(&w46(), &team(false), i);
    let tp = &r.kpis.reviews.by_platform["trustpilot"];
    assert_eq!((tp.n, tp.mean_rating), (0, None));
    assert_eq!(tp.overall_rating, Some(3.7725));
}
