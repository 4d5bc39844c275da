//! A team with Zendesk, Trustpilot and Yelp gets one report whose reviews and complaints
//! combine them, with Yelp's coverage marked and its sample kept out of the overall review
//! figures; hostile review text goes through sync, report and every digest format inert.
//!
//! Payload provenance:
//! * Zendesk: the golden week (`zendesk_week.rs`).
//! * Trustpilot: the documented review object and business unit (developers.trustpilot.com,
//!   as `shared/reference/review-social-apis.md` §1.1 transcribes them; the layout of
//!   `shared/fixtures/reviews_social/trustpilot/constructed_public_reviews_page.json`), with
//!   this test's ids, times and texts; the business unit is the docs' example (stars 4.5,
//!   14 reviews).
//! * Yelp: the business is the recorded `business_lookup_yelp_san_francisco.json`
//!   (Yelp/yelp-python, MIT: rating 2.0, review_count 8422; copied to
//!   `tests/e2e/fixtures/yelp/` with its licence); the excerpts follow the documented
//!   review layout (`constructed_business_reviews.json`), with this test's ids and times.

use crate::harness::{Env, text};
use crate::zendesk_week;
use deskpulse_storage::testing::TestDb;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BU: &str = "5f1e7c0b2a9d4b0001a1b2c3";
const YELP_ID: &str = "4kMBvIEWPxWkWKFN__8SxQ";
/// Hostile text: HTML, Slack mentions and links, an RTL override and a zero-width space.
const HOSTILE: &str = "<script>alert(1)</script> <!channel> <@U024BE7LH> <https://evil.example|click> \u{202E}gnol\u{200B} & co";

fn tp_review(id: &str, stars: u8, created: &str, reply: Option<&str>, text: &str) -> Value {
    json!({
        "id": id,
        "consumer": {"id": "5b1f2e3d4c5b6a7980112233", "displayName": "Hannah P.",
                     "displayLocation": "Leeds, GB", "numberOfReviews": 3},
        "businessUnit": {"id": BU, "identifyingName": "exampleoutdoor.com",
                         "displayName": "Example Outdoor Store"},
        "stars": stars, "title": "Review", "text": text, "language": "en", "location": null,
        "createdAt": created, "experiencedAt": created, "updatedAt": null,
        "companyReply": reply.map(|at| json!({"text": "Sorry to hear that.", "createdAt": at, "updatedAt": null})),
        "isVerified": true, "numberOfLikes": 0, "status": "active",
        "countsTowardsTrustScore": true
    })
}

fn yelp_review(id: &str, rating: u8, created: &str) -> Value {
    json!({
        "id": id,
        "url": format!("https://www.yelp.com/biz/example-outdoor-store-san-francisco?hrid={id}"),
        "text": "Staff helped me swap a tent that arrived with a broken pole...",
        "rating": rating, "time_created": created,
        "user": {"id": "W8UK02IDdRS2GL_66fuq6w",
                 "profile_url": "https://www.yelp.com/user_details?userid=W8UK02IDdRS2GL_66fuq6w",
                 "image_url": null, "name": "Ella A."}
    })
}

/// Trustpilot under `/v1` (its base URL's path), newest first; page 2 is past the end.
async fn trustpilot() -> MockServer {
    let server = MockServer::start().await;
    let huge = format!("{HOSTILE} {}", "x".repeat(100 * 1024));
    let reviews = vec![
        // W47 (Berlin): not the week's.
        tp_review("tp4", 5, "2026-11-17T09:00:00Z", None, "Great"),
        // tp3: 2★, answered after 6 h, a 100 kB text.
        tp_review(
            "tp3",
            2,
            "2026-11-12T08:00:00Z",
            Some("2026-11-12T14:00:00Z"),
            &huge,
        ),
        // tp2: 1★, never answered, hostile.
        tp_review("tp2", 1, "2026-11-11T12:00:00Z", None, HOSTILE),
        // tp1: 5★, answered after 2 h.
        tp_review(
            "tp1",
            5,
            "2026-11-10T09:00:00Z",
            Some("2026-11-10T11:00:00Z"),
            "Quick help",
        ),
        // W45: before the week.
        tp_review("tp0", 4, "2026-11-03T09:00:00Z", None, "Fine"),
    ];
    Mock::given(method("GET"))
        .and(path(format!("/v1/business-units/{BU}")))
        .and(header("apikey", "tp-e2e-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": BU, "displayName": "Example Outdoor Store", "status": "active",
            "score": {"trustScore": 4.6, "stars": 4.5},
            "numberOfReviews": {"total": 14, "usedForTrustScoreCalculation": 12, "oneStar": 2,
                                "twoStars": 3, "threeStars": 2, "fourStars": 5, "fiveStars": 2}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/business-units/{BU}/reviews")))
        .and(header("apikey", "tp-e2e-key"))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"links": [], "reviews": reviews})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/business-units/{BU}/reviews")))
        .and(header("apikey", "tp-e2e-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"links": [], "reviews": []})))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

async fn yelp() -> MockServer {
    let server = MockServer::start().await;
    let business: Value = serde_json::from_str(include_str!(
        "fixtures/yelp/business_lookup_yelp_san_francisco.json"
    ))
    .unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/v3/businesses/{YELP_ID}")))
        .and(header("authorization", "Bearer yelp-e2e-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(business))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v3/businesses/{YELP_ID}/reviews")))
        .and(header("authorization", "Bearer yelp-e2e-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "reviews": [
                yelp_review("y1", 1, "2026-11-12 10:00:00"),
                yelp_review("y2", 5, "2026-11-13 10:00:00"),
                yelp_review("y0", 4, "2026-10-01 10:00:00"),
            ],
            "total": 8422, "possible_languages": ["en"]
        })))
        .mount(&server)
        .await;
    server
}

fn config(db: &str, zendesk: &str, tp: &str, yelp: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "Europe/Berlin"
sources = ["zd", "tp", "yelp"]

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "zd-e2e-token"
base_url = "{zendesk}"
page_size = 2
requests_per_minute = 6000
incremental_requests_per_minute = 6000

[[sources]]
name = "tp"
kind = "trustpilot"
business_unit_id = "{BU}"
api_key = "tp-e2e-key"
base_url = "{tp}/v1"

[[sources]]
name = "yelp"
kind = "yelp"
business_id = "{YELP_ID}"
api_key = "yelp-e2e-key"
base_url = "{yelp}"
"#
    )
}

async fn run_ok(env: &Env, args: &[&str]) -> String {
    let out = env.run(args, &[]).await;
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn num(r: &Value, ptr: &str) -> f64 {
    r.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{ptr} is not a number: {:?}", r.pointer(ptr)))
}

async fn combined(db_url: &str) {
    let (zendesk, _) = zendesk_week::start().await;
    let (tp, yelp) = (trustpilot().await, yelp().await);
    let env = Env::new();
    env.write_config(&config(db_url, &zendesk.uri(), &tp.uri(), &yelp.uri()));
    run_ok(&env, &["sync"]).await;

    let out = run_ok(
        &env,
        &["report", "--format", "json", "--period", "2026-W46"],
    )
    .await;
    let r: Value = serde_json::from_str(&out).expect("report JSON");
    // Zendesk's week is unchanged by the review sources (golden.rs).
    assert_eq!(num(&r, "/kpis/ticket_volume/value"), 7.0);
    let k = &r["kpis"]["reviews"];
    // Over Trustpilot only (Yelp gives a sample): tp1 5★, tp2 1★, tp3 2★ → n 3,
    // mean 8 / 3 = 2.666667, 2 of 3 negative, 2 of 3 answered, replies after 2 h and 6 h
    // → median 4 h = 14400 s.
    assert_eq!(num(k, "/n"), 3.0);
    assert_eq!(num(k, "/mean_rating"), 2.666667);
    assert!((num(k, "/share_negative") - 2.0 / 3.0).abs() < 1e-6);
    assert!((num(k, "/share_answered") - 2.0 / 3.0).abs() < 1e-6);
    assert_eq!(num(k, "/median_reply_seconds"), 14_400.0);
    assert_eq!(k["by_platform"]["trustpilot"]["coverage"], "full");
    // Yelp: y1 1★ and y2 5★ of the week (Pacific time, mid-week), its coverage marked,
    // no answered share (the API shows no replies).
    let y = &k["by_platform"]["yelp"];
    assert_eq!(y["coverage"], "aggregate_sample", "{y}");
    assert_eq!((num(y, "/n"), num(y, "/mean_rating")), (2.0, 3.0));
    assert_eq!(y["share_answered"], Value::Null);
    // The snapshots were taken today, after the week: no overall figure for it.
    assert_eq!(y["overall_rating"], Value::Null);
    // Complaints: tp2, tp3 and y1 (≤ 2★), next to the complaint-tagged tickets.
    let c = &r["kpis"]["complaints"];
    assert_eq!(num(c, "/reviews"), 3.0);
    assert_eq!(num(c, "/value"), num(c, "/tickets") + 3.0);
    // The hostile text is stored and reported as given.
    assert!(k["worst"][0]["text"].as_str().unwrap().contains(HOSTILE));

    // The week the snapshots were taken in has the platforms' own figures.
    let store = deskpulse_storage::Store::open(db_url).await.unwrap();
    let dump = store.dump().await.unwrap();
    store.close().await;
    let snapshot = dump
        .iter()
        .find(|l| l.starts_with("rating_snapshots") && l.contains("trustpilot"))
        .expect("a Trustpilot snapshot");
    let observed: chrono::DateTime<chrono::Utc> = snapshot
        .rsplit('"')
        .nth(1)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {snapshot}"));
    let week = observed
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%G-W%V")
        .to_string();
    let out = run_ok(&env, &["report", "--format", "json", "--period", &week]).await;
    let now: Value = serde_json::from_str(&out).unwrap();
    let p = &now["kpis"]["reviews"]["by_platform"];
    assert_eq!(num(&p["trustpilot"], "/overall_rating"), 4.5);
    assert_eq!(num(&p["trustpilot"], "/total_reviews"), 14.0);
    assert_eq!(num(&p["yelp"], "/overall_rating"), 2.0);
    assert_eq!(num(&p["yelp"], "/total_reviews"), 8422.0);

    // Every digest format: the Reviews section says what Yelp's numbers are; nothing live.
    let text_digest = run_ok(&env, &["digest", "preview", "--period", "2026-W46"]).await;
    assert!(
        text_digest.contains("Yelp: 2 in the sample"),
        "{text_digest}"
    );
    // The RTL override cannot turn a line of the digest around (a zero-width space is
    // harmless text and stays).
    assert!(
        !text_digest.contains('\u{202E}'),
        "a bidi override reaches the text digest"
    );
    let html = run_ok(
        &env,
        &[
            "digest", "preview", "--period", "2026-W46", "--format", "html",
        ],
    )
    .await;
    for bad in [
        "<script",
        "<!channel>",
        "<@U024BE7LH>",
        "<https://evil.example|click>",
    ] {
        assert!(!html.contains(bad), "{bad:?} is live in the HTML");
    }
    assert!(html.contains("the API shows overall figures and a few reviews only"));
    assert!(
        !html.contains('\u{202E}'),
        "a bidi override reaches the HTML"
    );
    let slack = run_ok(
        &env,
        &[
            "digest", "preview", "--period", "2026-W46", "--format", "slack",
        ],
    )
    .await;
    for bad in ["<!channel>", "<@U024BE7LH>", "<https://evil.example|click>"] {
        assert!(!slack.contains(bad), "{bad:?} is live in the Slack message");
    }
    assert!(slack.len() < 60_000, "the 100 kB review is cut in Slack");
    assert!(!slack.contains('\u{202E}'), "a bidi override reaches Slack");
}

#[tokio::test]
async fn zendesk_trustpilot_and_yelp_in_one_report_on_sqlite() {
    let db = TestDb::sqlite();
    combined(db.url()).await;
}

#[tokio::test]
async fn zendesk_trustpilot_and_yelp_in_one_report_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    combined(db.url()).await;
    db.cleanup().await;
}
