//! The social ground truth: deterministic, on its own random streams (the Zendesk account
//! and the reviews do not change with it), and `public_response` / `negative_recommendations`
//! equal to what the metrics crate computes from the served payloads.

mod social_common;

use std::collections::BTreeMap;

use deskpulse_metrics::{ReportInput, SocialInteractionInput, TeamConfig, compute_report};
use deskpulse_model::{InteractionKind, PeriodSpec, SocialInteraction};
use deskpulse_simulator::{Dataset, SocialConfig, SocialPlatform};
use social_common::*;

#[test]
fn social_is_deterministic_and_leaves_zendesk_and_reviews_alone() {
    let a = Dataset::generate(&cfg(21, 30, SocialConfig::default()));
    let b = Dataset::generate(&cfg(21, 30, SocialConfig::default()));
    let other = Dataset::generate(&cfg(22, 30, SocialConfig::default()));
    assert_eq!(a.truth(), b.truth());
    assert_ne!(a.truth().social, other.truth().social);
    let off = Dataset::generate(&cfg(21, 30, SocialConfig::off()));
    assert!(off.truth().social.interactions.is_empty());
    for d in [
        &off,
        &Dataset::generate(&cfg(
            21,
            30,
            SocialConfig {
                x_mentions_per_day: 20.0,
                ..SocialConfig::default()
            },
        )),
    ] {
        assert_eq!(d.truth().tickets, a.truth().tickets);
        assert_eq!(d.truth().ratings, a.truth().ratings);
        assert_eq!(d.truth().reviews, a.truth().reviews);
        assert_eq!(d.record_counts(), a.record_counts());
    }
    // More X mentions do not change Facebook's activity (their own streams).
    let more_x = Dataset::generate(&cfg(
        21,
        30,
        SocialConfig {
            x_mentions_per_day: 20.0,
            ..SocialConfig::default()
        },
    ));
    let fb = |d: &Dataset| {
        d.truth()
            .social_of(SocialPlatform::FacebookPage)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(fb(&more_x), fb(&a));
    assert_eq!(
        more_x.truth().social.facebook_days,
        a.truth().social.facebook_days
    );
    // Default rates: ~4 comments, ~6 mentions (plus bystanders' replies), ~0.3 recommendations a day.
    let t = a.truth();
    let count = |p, k| t.social_of(p).filter(|i| i.kind == k).count();
    assert!((70..=190).contains(&count(
        SocialPlatform::FacebookPage,
        InteractionKind::Comment
    )));
    assert!((130..=280).contains(&count(SocialPlatform::X, InteractionKind::Mention)));
    assert!((2..=25).contains(&count(
        SocialPlatform::FacebookPage,
        InteractionKind::Recommendation
    )));
    let now = a.now();
    for i in &t.social.interactions {
        assert!(i.created_at < now);
        assert!(i.first_reply_at.is_none_or(|r| i.created_at < r && r < now));
    }
    assert!(t.social.interactions.iter().any(|i| i.hidden));
    assert!(
        t.social
            .interactions
            .iter()
            .any(|i| i.other_reply && i.first_reply_at.is_none())
    );
    assert!(t.social.interactions.iter().any(|i| {
        i.first_reply_at
            .is_some_and(|r| r - i.created_at > chrono::TimeDelta::days(1))
    }));
    // One counter a day, from the window's first day to today.
    assert_eq!(t.social.facebook_days.len(), 31);
    assert_eq!(
        t.social.x_days.last().map(|d| d.date),
        Some(now.date_naive())
    );
    assert_eq!(
        t.followers_on(SocialPlatform::X, now.date_naive()),
        Some(t.x_followers())
    );
}

#[tokio::test]
async fn public_response_truth_is_what_the_metrics_crate_computes_from_the_served_json() {
    let config = cfg(27, 90, SocialConfig::default());
    let (sim, data) = start(config).await;
    let c = client();
    let mut records = facebook_records(&c, &sim).await;
    records.extend(x_records(&c, &sim).await);
    let truth = data.truth();
    // The served data is the truth, record for record.
    let served: BTreeMap<(String, String), &SocialInteraction> = records
        .iter()
        .map(|r| ((r.platform.clone(), r.external_id.clone()), r))
        .collect();
    assert_eq!(served.len(), truth.social.interactions.len());
    for t in &truth.social.interactions {
        let r = served[&(t.platform.as_str().to_string(), t.id.clone())];
        assert_eq!(r.created_at, t.created_at);
        assert_eq!(r.replied_at, t.first_reply_at, "{t:?}");
        assert_eq!(r.deleted, t.hidden);
        assert_eq!(r.positive, t.positive);
        assert_eq!(r.author_id.as_deref(), Some(t.author_id.as_str()));
    }
    let input = ReportInput {
        social_interactions: records
            .iter()
            .map(|r| SocialInteractionInput {
                source: r.platform.clone(),
                interaction: r.clone(),
            })
            .collect(),
        ..ReportInput::default()
    };
    let utc = "UTC".parse().expect("UTC");
    let periods = [
        PeriodSpec::last_complete_week(data.now(), utc).in_zone(utc),
        PeriodSpec::Month {
            year: 2026,
            month: 10,
        }
        .in_zone(utc),
    ];
    for period in periods {
        let report = compute_report(&TeamConfig::default(), &period, &input);
        let pr = &report.kpis.public_response;
        let check = |platform: Option<&str>, got: &deskpulse_metrics::ResponseStats| {
            let want = truth.public_response(platform, period.start, period.end);
            assert!(want.n > 10, "{platform:?}");
            assert_eq!(got.n, want.n, "{platform:?}");
            assert_eq!(got.answered, want.answered, "{platform:?}");
            assert_eq!(got.rate, want.rate, "{platform:?}");
            assert_eq!(got.median_seconds, want.median_seconds, "{platform:?}");
            assert_eq!(got.p90_seconds, want.p90_seconds, "{platform:?}");
        };
        check(None, &pr.all);
        for p in SocialPlatform::ALL {
            check(Some(p.as_str()), &pr.by_platform[p.as_str()]);
        }
        assert_eq!(
            report.kpis.complaints.social,
            truth.negative_recommendations(period.start, period.end)
        );
    }
    let month = &periods[1];
    assert!(truth.negative_recommendations(month.start, month.end) > 0);
    sim.shutdown().await;
}
