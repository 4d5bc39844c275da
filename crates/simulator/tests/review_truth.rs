//! The review generator and its ground truth: deterministic for a seed, shaped like real
//! platforms, hostile where it should be, and `review_kpis` equal to what a report computes
//! from the served payloads (by hand, and by the metrics crate).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use deskpulse_metrics::{ReportInput, ReviewInput, TeamConfig, compute_report};
use deskpulse_model::{PeriodSpec, Review};
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, GroundTruth, HOSTILE_STRINGS, HUGE_TEXT_BYTES, Limits,
    ReviewPlatform, ReviewsConfig, SimConfig, Simulator, TrueReview,
};
use serde_json::Value;

fn cfg(seed: u64, days: u32, reviews: ReviewsConfig) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days,
            tickets_per_day: 2.0,
            reviews,
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    }
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

#[test]
fn reviews_are_deterministic_per_seed_and_leave_the_zendesk_account_alone() {
    let a = Dataset::generate(&cfg(11, 30, ReviewsConfig::default()));
    let b = Dataset::generate(&cfg(11, 30, ReviewsConfig::default()));
    let c = Dataset::generate(&cfg(12, 30, ReviewsConfig::default()));
    assert_eq!(a.truth(), b.truth());
    assert_ne!(a.truth().reviews, c.truth().reviews);
    // The reviews draw from their own streams: the tickets do not change with them, and one
    // platform's reviews do not change with the other's rate.
    let off = Dataset::generate(&cfg(11, 30, ReviewsConfig::off()));
    assert!(off.truth().reviews.is_empty());
    assert_eq!(off.truth().tickets, a.truth().tickets);
    assert_eq!(off.truth().ratings, a.truth().ratings);
    let more_google = Dataset::generate(&cfg(
        11,
        30,
        ReviewsConfig {
            google_per_day: 9.0,
            ..ReviewsConfig::default()
        },
    ));
    let tp = |d: &Dataset| -> Vec<TrueReview> {
        d.truth()
            .reviews_of(ReviewPlatform::Trustpilot)
            .cloned()
            .collect()
    };
    assert_eq!(tp(&more_google), tp(&a));
    // Default rates: ~3 and ~2 a day.
    let n = |p| a.truth().reviews_of(p).count();
    assert!((60..=120).contains(&n(ReviewPlatform::Trustpilot)));
    assert!((35..=90).contains(&n(ReviewPlatform::GoogleBusinessProfile)));
}

#[test]
fn reviews_look_like_a_review_platform() {
    let config = cfg(
        13,
        365,
        ReviewsConfig {
            trustpilot_per_day: 10.0,
            google_per_day: 10.0,
            ..ReviewsConfig::default()
        },
    );
    let data = Dataset::generate(&config);
    let truth = data.truth();
    let now = data.now();
    let start = now - TimeDelta::days(366);
    let all = &truth.reviews;
    assert!(all.len() > 6000);
    let weights = ReviewsConfig::default().star_weights;
    for s in 1..=5u8 {
        let share = all.iter().filter(|r| r.stars == s).count() as f64 / all.len() as f64;
        assert!(
            (share - weights[usize::from(s) - 1]).abs() < 0.03,
            "{s}★: {share}"
        );
    }
    let answered = |lo: u8, hi: u8| {
        let of: Vec<_> = all
            .iter()
            .filter(|r| (lo..=hi).contains(&r.stars))
            .collect();
        of.iter().filter(|r| r.answered()).count() as f64 / of.len() as f64
    };
    assert!(answered(1, 2) > answered(3, 3) && answered(3, 3) > answered(4, 5));
    let mut edited_google = 0;
    for p in ReviewPlatform::ALL {
        let reviews: Vec<_> = truth.reviews_of(p).collect();
        assert!(
            reviews
                .windows(2)
                .all(|w| (w[0].created_at, &w[0].id) < (w[1].created_at, &w[1].id))
        );
        for r in reviews {
            assert!(start <= r.created_at && r.created_at < now);
            assert!((1..=5).contains(&r.stars));
            assert!(r.edited_at.is_none_or(|e| r.created_at < e && e < now));
            if let Some(first) = r.reply_published_at {
                assert!(r.created_at < first && first < now);
                if let Some(last) = r.reply_edited_at {
                    assert!(first < last && last < now);
                    edited_google += usize::from(p == ReviewPlatform::GoogleBusinessProfile);
                }
            } else {
                assert!(r.reply_edited_at.is_none());
            }
        }
    }
    assert!(edited_google > 50);
    // Answers come late for some: a median of hours, a tail of days.
    let mut delays: Vec<i64> = all
        .iter()
        .filter_map(|r| Some((r.reply_published_at? - r.created_at).num_seconds()))
        .collect();
    delays.sort_unstable();
    let median = delays[delays.len() / 2];
    assert!((6 * 3600..=48 * 3600).contains(&median), "{median}");
    assert!(delays[delays.len() * 95 / 100] > 3 * 86_400);
}

#[tokio::test]
async fn hostile_and_huge_texts_are_served_verbatim() {
    let config = cfg(
        14,
        30,
        ReviewsConfig {
            hostile_rate: 0.5,
            huge_text_rate: 0.05,
            ..ReviewsConfig::default()
        },
    );
    let data = Arc::new(Dataset::generate(&config));
    let sim = Simulator::start(data.clone(), config)
        .await
        .expect("simulator starts");
    let (tp, google) = served(sim.base_url()).await;
    let truth = data.truth();
    for (p, reviews, fields) in [
        (
            ReviewPlatform::Trustpilot,
            &tp,
            &["/title", "/text", "/consumer/displayName"][..],
        ),
        (
            ReviewPlatform::GoogleBusinessProfile,
            &google,
            &["/comment", "/reviewer/displayName"][..],
        ),
    ] {
        let texts: Vec<&str> = reviews
            .iter()
            .flat_map(|r| fields.iter().filter_map(|f| r.pointer(f)?.as_str()))
            .collect();
        for h in HOSTILE_STRINGS {
            assert!(texts.iter().any(|t| t.contains(h)), "{p:?} serves {h:?}");
        }
        let huge = texts.iter().filter(|t| t.len() == HUGE_TEXT_BYTES).count();
        assert_eq!(huge, truth.reviews_of(p).filter(|r| r.huge_text).count());
        assert!(huge > 0, "{p:?}");
    }
    for s in [
        "\u{202E}",
        "\u{200B}",
        "<!channel>",
        "<@U024BE7LH>",
        "<script>",
    ] {
        assert!(HOSTILE_STRINGS.iter().any(|h| h.contains(s)), "{s:?}");
    }
}

/// Every review each platform serves, as JSON.
async fn served(base: &str) -> (Vec<Value>, Vec<Value>) {
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let cr = Credentials::default();
    let mut tp = Vec::new();
    for page in 1.. {
        let url = format!(
            "{base}/v1/business-units/{}/reviews?page={page}&perPage=100",
            cr.trustpilot_business_unit
        );
        let body: Value = c
            .get(url)
            .header("apikey", &cr.trustpilot_api_key)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        let reviews = body["reviews"].as_array().expect("reviews");
        if reviews.is_empty() {
            break;
        }
        tp.extend(reviews.iter().cloned());
    }
    let form = format!(
        "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
        cr.google_client_id,
        cr.google_client_secret,
        cr.google_refresh_token.replace('/', "%2F")
    );
    let token: Value = c
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    let token = token["access_token"].as_str().expect("a token").to_string();
    let mut google = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut url = format!(
            "{base}/v4/accounts/{}/locations/{}/reviews?pageSize=50",
            cr.google_account_id, cr.google_location_id
        );
        if let Some(t) = &next {
            url.push_str(&format!("&pageToken={t}"));
        }
        let body: Value = c
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        google.extend(body["reviews"].as_array().cloned().unwrap_or_default());
        match body["nextPageToken"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    (tp, google)
}

/// The served reviews as a correct connector maps them: Trustpilot's reply time is
/// `companyReply.createdAt` (first publication), Google's `reviewReply.updateTime` (all the
/// API gives).
fn as_records(tp: &[Value], google: &[Value]) -> Vec<Review> {
    let mut out = Vec::new();
    for r in tp {
        out.push(Review {
            platform: "trustpilot".into(),
            external_id: r["id"].as_str().expect("id").into(),
            rating: r["stars"].as_f64().expect("stars"),
            title: None,
            text: None,
            author_name: None,
            created_at: time(&r["createdAt"]),
            reply_text: r["companyReply"]["text"].as_str().map(String::from),
            replied_at: r["companyReply"].get("createdAt").map(time),
            url: None,
        });
    }
    let stars = ["ONE", "TWO", "THREE", "FOUR", "FIVE"];
    for r in google {
        let s = stars
            .iter()
            .position(|s| r["starRating"] == *s)
            .expect("a rating");
        out.push(Review {
            platform: "google_business_profile".into(),
            external_id: r["reviewId"].as_str().expect("id").into(),
            rating: (s + 1) as f64,
            title: None,
            text: None,
            author_name: None,
            created_at: time(&r["createTime"]),
            reply_text: r
                .pointer("/reviewReply/comment")
                .and_then(Value::as_str)
                .map(String::from),
            replied_at: r.pointer("/reviewReply/updateTime").map(time),
            url: None,
        });
    }
    out
}

#[tokio::test]
async fn review_kpis_are_what_a_report_computes_from_the_served_reviews() {
    let config = cfg(
        15,
        21,
        ReviewsConfig {
            trustpilot_per_day: 6.0,
            google_per_day: 6.0,
            reply_edit_rate: 0.5,
            ..ReviewsConfig::default()
        },
    );
    let data = Arc::new(Dataset::generate(&config));
    let sim = Simulator::start(data.clone(), config)
        .await
        .expect("simulator starts");
    let (tp, google) = served(sim.base_url()).await;
    let records = as_records(&tp, &google);
    let truth = data.truth();
    assert_eq!(records.len(), truth.reviews.len());
    // The last complete ISO week before `now`, in UTC.
    let period = PeriodSpec::last_complete_week(data.now(), "UTC".parse().expect("UTC"))
        .in_zone("UTC".parse().expect("UTC"));
    let input = ReportInput {
        reviews: records
            .iter()
            .map(|r| ReviewInput {
                source: r.platform.clone(),
                review: r.clone(),
            })
            .collect(),
        ..ReportInput::default()
    };
    let report = compute_report(&TeamConfig::default(), &period, &input);
    let check = |platform: Option<ReviewPlatform>, got: &deskpulse_metrics::ReviewStats| {
        let want = truth.review_kpis(platform, period.start, period.end);
        assert!(want.n > 10, "{platform:?}");
        assert_eq!(got.n, want.n, "{platform:?}");
        assert_eq!(got.mean_rating, want.mean_rating, "{platform:?}");
        assert_eq!(got.share_negative, want.share_negative, "{platform:?}");
        assert_eq!(got.share_answered, want.share_answered, "{platform:?}");
        assert_eq!(
            got.median_reply_seconds, want.median_reply_seconds,
            "{platform:?}"
        );
        for s in 1..=5usize {
            assert_eq!(got.distribution[&s.to_string()], want.distribution[s - 1]);
        }
    };
    check(None, &report.kpis.reviews.all);
    for p in ReviewPlatform::ALL {
        check(Some(p), &report.kpis.reviews.by_platform[p.as_str()].stats);
    }
    // Had Google's edited replies been timed from their first publication, the median
    // would differ: the truth really uses what the API serves.
    let google_edited = truth
        .reviews_of(ReviewPlatform::GoogleBusinessProfile)
        .filter(|r| r.reply_edited_at.is_some())
        .count();
    assert!(google_edited > 0);
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("a time")
}

fn review(
    platform: ReviewPlatform,
    id: &str,
    stars: u8,
    created: DateTime<Utc>,
    reply: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
) -> TrueReview {
    TrueReview {
        platform,
        id: id.into(),
        stars,
        created_at: created,
        edited_at: None,
        reply_published_at: reply.map(|r| r.0),
        reply_edited_at: reply.and_then(|r| r.1),
        hostile: false,
        huge_text: false,
        rating_only: false,
    }
}

#[test]
fn review_kpis_by_hand() {
    use ReviewPlatform::{GoogleBusinessProfile as G, Trustpilot as T};
    let truth = GroundTruth {
        reviews: vec![
            // Trustpilot: a 1★ answered after 2 h, edited 10 h later (the first publication
            // counts: 2 h); a 5★ unanswered; a 4★ answered after 4 h; a 2★ before the period.
            review(T, "t1", 1, at(10, 8), Some((at(10, 10), Some(at(10, 20))))),
            review(T, "t2", 5, at(11, 9), None),
            review(T, "t3", 4, at(12, 6), Some((at(12, 10), None))),
            review(T, "t0", 2, at(2, 6), Some((at(2, 7), None))),
            // Google: a 2★ answered after 1 h and edited at +25 h (the API shows only the
            // edit: 25 h); a 3★ answered after 6 h; one after the period.
            review(G, "g1", 2, at(13, 0), Some((at(13, 1), Some(at(14, 1))))),
            review(G, "g2", 3, at(14, 12), Some((at(14, 18), None))),
            review(G, "g3", 5, at(20, 12), None),
        ],
        ..GroundTruth::default()
    };
    let (start, end) = (at(9, 0), at(16, 0));
    let tp = truth.review_kpis(Some(T), start, end);
    assert_eq!(tp.n, 3);
    assert_eq!(tp.mean_rating, Some((10.0_f64 / 3.0 * 1e6).round() / 1e6));
    assert_eq!(tp.distribution, [1, 0, 0, 1, 1]);
    assert_eq!(tp.share_negative, Some(1.0 / 3.0));
    assert_eq!(tp.share_answered, Some(2.0 / 3.0));
    // Median of 2 h and 4 h.
    assert_eq!(tp.median_reply_seconds, Some(3.0 * 3600.0));
    let g = truth.review_kpis(Some(G), start, end);
    assert_eq!(g.n, 2);
    assert_eq!(g.mean_rating, Some(2.5));
    assert_eq!(g.share_negative, Some(0.5));
    assert_eq!(g.share_answered, Some(1.0));
    // Median of 25 h (the edit, as served) and 6 h.
    assert_eq!(g.median_reply_seconds, Some(15.5 * 3600.0));
    let all = truth.review_kpis(None, start, end);
    assert_eq!(all.n, 5);
    assert_eq!(all.mean_rating, Some(3.0));
    assert_eq!(all.distribution, [1, 1, 1, 1, 1]);
    assert_eq!(all.share_negative, Some(0.4));
    assert_eq!(all.share_answered, Some(0.8));
    // 2 h, 4 h, 6 h, 25 h: halfway between 4 h and 6 h.
    assert_eq!(all.median_reply_seconds, Some(5.0 * 3600.0));
    // [start, end): a review at `end` is out, at `start` in.
    assert_eq!(truth.review_kpis(None, at(10, 8), at(11, 9)).n, 1);
    let none = truth.review_kpis(None, at(21, 0), at(22, 0));
    assert_eq!(none.n, 0);
    assert_eq!(none.mean_rating, None);
    assert_eq!(none.median_reply_seconds, None);
    // The aggregates, by hand: Trustpilot (1+5+4+2 + 7·3.5) / (4+7) = 36.5/11 = 3.318… →
    // 3.3, 3.5 stars; Google (2+3+5)/3 = 3.33… → 3.3.
    let a = truth.trustpilot_aggregate();
    assert_eq!((a.total, a.trust_score, a.stars), (4, 3.3, 3.5));
    assert_eq!(a.by_stars, [1, 1, 0, 1, 1]);
    let g = truth.google_aggregate();
    assert_eq!((g.total_review_count, g.average_rating), (3, 3.3));
}
