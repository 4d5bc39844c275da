//! Public response (`kpis.public_response`) and complaints from negative recommendations:
//! answers are the brand's first replies whenever they came, deleted interactions count
//! nowhere, a copy seen by two sources counts once.

use super::kpis::run;
use super::*;
use deskpulse_metrics::SocialInteractionInput;
use deskpulse_model::{InteractionKind, SocialInteraction};
use serde_json::json;

fn interaction(
    platform: &str,
    id: &str,
    kind: InteractionKind,
    created: &str,
    replied: Option<&str>,
) -> SocialInteractionInput {
    SocialInteractionInput {
        source: format!("{platform}-main"),
        interaction: SocialInteraction {
            platform: platform.into(),
            account: "acme".into(),
            external_id: id.into(),
            kind,
            created_at: at(created),
            author_id: Some("hash".into()),
            positive: None,
            replied_at: replied.map(at),
            deleted: false,
        },
    }
}

fn input() -> ReportInput {
    use InteractionKind::{Comment, Mention, Recommendation};
    let mut deleted = interaction("x", "m9", Mention, "2026-11-12T08:00:00Z", None);
    deleted.interaction.deleted = true;
    let mut negative = interaction(
        "facebook_page",
        "r1",
        Recommendation,
        "2026-11-11T08:00:00Z",
        None,
    );
    negative.interaction.positive = Some(false);
    let mut positive = negative.clone();
    positive.interaction.external_id = "r2".into();
    positive.interaction.positive = Some(true);
    // The same mention seen by a second source, without the reply: counts once, answered.
    let mut copy = interaction("x", "m1", Mention, "2026-11-10T08:00:00Z", None);
    copy.source = "x-second".into();
    ReportInput {
        social_interactions: vec![
            // x: answered after 30 min, after 2 h, and after the week ended (11-16 20:00:
            // 6 days 12 h later = 561600 s); one unanswered; one deleted.
            interaction(
                "x",
                "m1",
                Mention,
                "2026-11-10T08:00:00Z",
                Some("2026-11-10T08:30:00Z"),
            ),
            copy,
            interaction(
                "x",
                "m2",
                Mention,
                "2026-11-11T08:00:00Z",
                Some("2026-11-11T10:00:00Z"),
            ),
            interaction(
                "x",
                "m3",
                Mention,
                "2026-11-10T08:00:00Z",
                Some("2026-11-16T20:00:00Z"),
            ),
            interaction("x", "m4", Mention, "2026-11-13T08:00:00Z", None),
            deleted,
            // facebook: one comment answered after 10 min; recommendations are not
            // "received comments" but the negative one is a complaint.
            interaction(
                "facebook_page",
                "c1",
                Comment,
                "2026-11-12T08:00:00Z",
                Some("2026-11-12T08:10:00Z"),
            ),
            negative,
            positive,
            // The week before: not this period's.
            interaction("x", "m0", Mention, "2026-11-06T08:00:00Z", None),
        ],
        ..ReportInput::default()
    }
}

#[test]
fn public_response_counts_the_brands_first_replies_whenever_they_came() {
    let r = run(&w46(), &team(false), input());
    let p = &r.kpis.public_response;
    // Received: m1, m2, m3, m4 (x) and c1 (facebook) = 5; answered: m1, m2, m3, c1 = 4.
    assert_eq!((p.all.n, p.all.answered), (5, 4));
    assert_eq!(p.all.rate, Some(0.8));
    // Delays: 600, 1800, 7200, 561600 s → R-7 median (1800 + 7200) / 2 = 4500 s; p90 at
    // rank 1 + 0.9 × 3 = 3.7: 7200 + 0.7 × (561600 − 7200) = 395280 s.
    assert_eq!(p.all.median_seconds, Some(4500.0));
    assert_eq!(p.all.p90_seconds, Some(395_280.0));
    // Within the 1 h default target: 600 and 1800 → 2 of 4.
    assert_eq!(p.all.within_target, Some(0.5));
    let x = &p.by_platform["x"];
    assert_eq!((x.n, x.answered), (4, 3));
    assert_eq!(x.rate, Some(0.75));
    let fb = &p.by_platform["facebook_page"];
    assert_eq!((fb.n, fb.answered, fb.median_seconds), (1, 1, Some(600.0)));
    // The negative recommendation is a complaint.
    assert_eq!(r.kpis.complaints.social, 1);
    assert_eq!(r.kpis.complaints.value, 1);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["kpis"]["public_response"]["rate"], json!(0.8));
    assert_eq!(
        j["kpis"]["public_response"]["by_platform"]["x"]["n"],
        json!(4)
    );
}

#[test]
fn public_response_is_judged_against_the_teams_social_targets() {
    use deskpulse_metrics::TargetVerdict;
    let r = run(&w46(), &team(false), input());
    let verdict = |kpi: &str| {
        r.targets
            .iter()
            .find(|t| t.kpi == kpi)
            .map(|t| (t.value, t.status))
            .unwrap_or_else(|| panic!("no {kpi} target"))
    };
    // 0.8 answered against the 0.8 default: met; a 4500 s median against 1 h: missed.
    assert_eq!(
        verdict("public_response_rate"),
        (Some(0.8), TargetVerdict::Met)
    );
    assert_eq!(
        verdict("public_response_time"),
        (Some(4500.0), TargetVerdict::Missed)
    );
    // A team with nothing received in public gets no social target rows.
    let quiet = run(&w46(), &team(false), ReportInput::default());
    assert!(!quiet.targets.iter().any(|t| t.kpi.starts_with("public_")));
}

#[test]
fn the_response_time_target_is_the_teams() {
    let mut t = team(false);
    t.targets.social_response_seconds = 2 * 3600;
    let r = run(&w46(), &t, input());
    // 600, 1800 and 7200 s are within 2 h: 3 of 4.
    assert_eq!(r.kpis.public_response.all.within_target, Some(0.75));
}
