//! The review endpoints over HTTP (reqwest): Trustpilot's business unit and reviews pages,
//! Google's token and reviews list — layouts, paging, auth, aggregates, limits and faults.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Faults, Limits, ReviewPlatform, ReviewsConfig,
    RunningSimulator, SimConfig, Simulator,
};
use serde_json::Value;

fn cfg(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days: 30,
            tickets_per_day: 2.0,
            reviews: ReviewsConfig {
                trustpilot_per_day: 4.0,
                google_per_day: 3.0,
                reply_edit_rate: 0.4,
                review_edit_rate: 0.2,
                ..ReviewsConfig::default()
            },
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    }
}

async fn start(cfg: SimConfig) -> (RunningSimulator, Arc<Dataset>) {
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg)
        .await
        .expect("simulator starts");
    (sim, data)
}

/// A deadline for a request to be answered, never a measure of speed.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(k: &[&'a str]) -> BTreeSet<&'a str> {
    k.iter().copied().collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn bu() -> String {
    Credentials::default().trustpilot_business_unit
}

async fn tp(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = c
        .get(url)
        .header("apikey", Credentials::default().trustpilot_api_key)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// Every Trustpilot review, paging `perPage` at a time in `order`.
async fn tp_all(c: &reqwest::Client, base: &str, per: usize, order: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut more = true;
    for page in 1.. {
        let url = format!(
            "{base}/v1/business-units/{}/reviews?page={page}&perPage={per}&orderBy={order}",
            bu()
        );
        let (status, body) = tp(c, &url).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(keys(&body), set(&["links", "reviews"]));
        let reviews = body["reviews"].as_array().expect("reviews").clone();
        if !more {
            assert!(reviews.is_empty(), "a page after the last link is empty");
        }
        let links = body["links"].as_array().expect("links");
        more = !links.is_empty();
        if reviews.len() < per {
            assert!(!more, "no next page after a short page");
        }
        for l in links {
            assert_eq!(keys(l), set(&["href", "method", "rel"]));
            assert_eq!(l["rel"], "next-page");
            let href = l["href"].as_str().expect("href");
            assert!(href.starts_with(base), "{href} is on the simulator");
            assert!(href.contains(&format!("page={}&", page + 1)), "{href}");
        }
        if reviews.is_empty() {
            break;
        }
        out.extend(reviews);
    }
    out
}

/// An `application/x-www-form-urlencoded` body (reqwest's `form` is not enabled here).
fn form(rb: reqwest::RequestBuilder, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    rb.header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
}

async fn token(c: &reqwest::Client, base: &str) -> String {
    let cr = Credentials::default();
    let resp = form(
        c.post(format!("{base}/token")),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", cr.google_client_id.as_str()),
            ("client_secret", cr.google_client_secret.as_str()),
            ("refresh_token", cr.google_refresh_token.as_str()),
        ],
    )
    .send()
    .await
    .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(
        keys(&body),
        set(&["access_token", "expires_in", "scope", "token_type"])
    );
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "https://www.googleapis.com/auth/business.manage"
    );
    body["access_token"].as_str().expect("token").to_string()
}

fn g_url(base: &str) -> String {
    let cr = Credentials::default();
    format!(
        "{base}/v4/accounts/{}/locations/{}/reviews",
        cr.google_account_id, cr.google_location_id
    )
}

async fn g(c: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let resp = c.get(url).bearer_auth(token).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// Every Google review, paging by token.
async fn g_all(c: &reqwest::Client, base: &str, tok: &str, size: usize, order: &str) -> Vec<Value> {
    let data_total = {
        let (_, first) = g(c, &format!("{}?pageSize=1", g_url(base)), tok).await;
        first["totalReviewCount"].as_u64().unwrap_or(0)
    };
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{}?pageSize={size}&orderBy={order}", g_url(base));
        if let Some(t) = &token {
            url.push_str(&format!("&pageToken={t}"));
        }
        let (status, body) = g(c, &url, tok).await;
        assert_eq!(status, 200, "{url}");
        let page = body["reviews"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= size);
        assert_eq!(body["totalReviewCount"].as_u64().unwrap_or(0), data_total);
        out.extend(page);
        match body.get("nextPageToken") {
            Some(t) => {
                assert_eq!(body["reviews"].as_array().map(Vec::len), Some(size));
                token = Some(t.as_str().expect("token").to_string());
            }
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn trustpilot_business_unit_has_the_documented_layout_and_true_aggregates() {
    let (sim, data) = start(cfg(3)).await;
    let c = client();
    let (status, body) = tp(
        &c,
        &format!("{}/v1/business-units/{}", sim.base_url(), bu()),
    )
    .await;
    assert_eq!(status, 200);
    // fixtures/reviews_social/trustpilot/constructed_business_unit.json
    assert_eq!(
        keys(&body),
        set(&[
            "links",
            "id",
            "displayName",
            "name",
            "websiteUrl",
            "country",
            "numberOfReviews",
            "status",
            "score",
            "badFit"
        ])
    );
    assert_eq!(keys(&body["score"]), set(&["trustScore", "stars"]));
    let names = [
        "oneStar",
        "twoStars",
        "threeStars",
        "fourStars",
        "fiveStars",
    ];
    let mut expected = names.to_vec();
    expected.extend(["total", "usedForTrustScoreCalculation"]);
    assert_eq!(keys(&body["numberOfReviews"]), set(&expected));
    // By hand from the generated reviews.
    let truth = data.truth();
    let stars: Vec<u8> = truth
        .reviews_of(ReviewPlatform::Trustpilot)
        .map(|r| r.stars)
        .collect();
    assert!(stars.len() > 60);
    let n = &body["numberOfReviews"];
    assert_eq!(n["total"].as_u64(), Some(stars.len() as u64));
    for (i, name) in names.iter().enumerate() {
        let k = stars.iter().filter(|s| usize::from(**s) == i + 1).count();
        assert_eq!(n[*name].as_u64(), Some(k as u64), "{name}");
    }
    let sum: f64 = stars.iter().map(|s| f64::from(*s)).sum();
    let trust = ((sum + 7.0 * 3.5) / (stars.len() as f64 + 7.0) * 10.0).round() / 10.0;
    assert_eq!(body["score"]["trustScore"].as_f64(), Some(trust));
    assert_eq!(
        body["score"]["stars"].as_f64(),
        Some((trust * 2.0).round() / 2.0)
    );
    let a = truth.trustpilot_aggregate();
    assert_eq!(a.total, stars.len() as u64);
    assert_eq!(a.trust_score, trust);
    // An unknown business unit is a 404.
    let (status, _) = tp(&c, &format!("{}/v1/business-units/0123", sim.base_url())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn trustpilot_pages_cover_every_review_once_in_the_documented_layout() {
    let (sim, data) = start(cfg(4)).await;
    let c = client();
    let base = sim.base_url();
    let truth = data.truth();
    let want: Vec<&str> = truth
        .reviews_of(ReviewPlatform::Trustpilot)
        .map(|r| r.id.as_str())
        .collect();
    let desc = tp_all(&c, base, 7, "createdat.desc").await;
    let ids: Vec<&str> = desc.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), want.len());
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no repeats"
    );
    assert_eq!(ids.iter().rev().copied().collect::<Vec<_>>(), want);
    assert!(
        desc.windows(2)
            .all(|w| time(&w[0]["createdAt"]) >= time(&w[1]["createdAt"]))
    );
    let asc = tp_all(&c, base, 100, "createdat.asc").await;
    let asc_ids: Vec<&str> = asc.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(asc_ids, want);
    // The documented review layout (fixtures/reviews_social/trustpilot/
    // constructed_public_reviews_page.json) and the ground truth's values.
    let (mut replied, mut unreplied, mut reply_edited) = (0, 0, 0);
    for r in &desc {
        assert_eq!(
            keys(r),
            set(&[
                "id",
                "consumer",
                "businessUnit",
                "stars",
                "title",
                "text",
                "language",
                "location",
                "createdAt",
                "experiencedAt",
                "updatedAt",
                "companyReply",
                "isVerified",
                "numberOfLikes",
                "status",
                "countsTowardsTrustScore"
            ])
        );
        assert_eq!(
            keys(&r["consumer"]),
            set(&["id", "displayName", "displayLocation", "numberOfReviews"])
        );
        assert_eq!(
            keys(&r["businessUnit"]),
            set(&["id", "identifyingName", "displayName"])
        );
        assert_eq!(r["businessUnit"]["id"], bu().as_str());
        let t = truth
            .review(ReviewPlatform::Trustpilot, r["id"].as_str().expect("id"))
            .expect("a true review");
        assert_eq!(r["stars"].as_u64(), Some(u64::from(t.stars)));
        assert_eq!(time(&r["createdAt"]), t.created_at);
        assert_eq!(
            r["updatedAt"].as_str().map(|_| time(&r["updatedAt"])),
            t.edited_at
        );
        match &r["companyReply"] {
            Value::Null => {
                unreplied += 1;
                assert!(t.reply_published_at.is_none());
            }
            reply => {
                replied += 1;
                assert_eq!(keys(reply), set(&["text", "createdAt", "updatedAt"]));
                assert_eq!(Some(time(&reply["createdAt"])), t.reply_published_at);
                let edited = reply["updatedAt"]
                    .as_str()
                    .map(|_| time(&reply["updatedAt"]));
                assert_eq!(edited, t.reply_edited_at);
                if let Some(e) = edited {
                    reply_edited += 1;
                    assert!(e > time(&reply["createdAt"]));
                }
            }
        }
    }
    assert!(replied > 0 && unreplied > 0 && reply_edited > 0);
    // Past the last page: an empty list.
    let url = format!(
        "{base}/v1/business-units/{}/reviews?page=999&perPage=100",
        bu()
    );
    let (status, body) = tp(&c, &url).await;
    assert_eq!(status, 200);
    assert_eq!(body["reviews"], serde_json::json!([]));
}

#[tokio::test]
async fn trustpilot_checks_its_parameters_and_its_api_key() {
    let (sim, _) = start(cfg(5)).await;
    let c = client();
    let reviews = format!("{}/v1/business-units/{}/reviews", sim.base_url(), bu());
    let (status, body) = tp(&c, &reviews).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["reviews"].as_array().map(Vec::len),
        Some(20),
        "perPage defaults to 20"
    );
    let first = body["reviews"][0]["createdAt"].clone();
    let (_, newest) = tp(&c, &format!("{reviews}?orderBy=createdat.desc&perPage=1")).await;
    assert_eq!(
        newest["reviews"][0]["createdAt"], first,
        "newest first by default"
    );
    for q in [
        "perPage=0",
        "perPage=101",
        "perPage=x",
        "page=0",
        "orderBy=newest",
    ] {
        let (status, body) = tp(&c, &format!("{reviews}?{q}")).await;
        assert_eq!(status, 400, "{q}");
        assert!(body["message"].is_string());
    }
    let (status, body) = tp(&c, &format!("{reviews}?perPage=100")).await;
    assert_eq!(status, 200);
    assert_eq!(body["reviews"].as_array().map(Vec::len), Some(100));
    // Auth: the `apikey` header (or query parameter), else Apigee's 401.
    let resp = c.get(&reviews).send().await.expect("request");
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(
        body["fault"]["detail"]["errorcode"],
        "steps.oauth.v2.FailedToResolveAPIKey"
    );
    let resp = c
        .get(&reviews)
        .header("apikey", "wrong")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["fault"]["faultstring"], "Invalid ApiKey");
    let key = Credentials::default().trustpilot_api_key;
    let resp = c
        .get(format!("{reviews}?apikey={key}"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    // The Zendesk credentials open nothing here, the Trustpilot key nothing on Zendesk.
    let resp = c
        .get(&reviews)
        .bearer_auth(Credentials::default().token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    let resp = c
        .get(format!(
            "{}/api/v2/satisfaction_ratings.json",
            sim.base_url()
        ))
        .header("apikey", key)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    assert_eq!(sim.stats().unauthorized, 4);
}

#[tokio::test]
async fn google_token_flow_and_auth() {
    let (sim, _) = start(cfg(6)).await;
    let c = client();
    let base = sim.base_url();
    let url = g_url(base);
    // Without a token, or with one never issued: Google's 401.
    for auth in [None, Some("ya29.made-up")] {
        let mut rb = c.get(&url);
        if let Some(t) = auth {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await.expect("request");
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().contains_key("www-authenticate"));
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(keys(&body), set(&["error"]));
        assert_eq!(keys(&body["error"]), set(&["code", "message", "status"]));
        assert_eq!(body["error"]["code"], 401);
        assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Request had invalid authentication credentials"))
        );
    }
    let tok = token(&c, base).await;
    let (status, _) = g(&c, &url, &tok).await;
    assert_eq!(status, 200);
    // A second token works too, and so does the first still.
    let tok2 = token(&c, base).await;
    assert_ne!(tok, tok2);
    assert_eq!(g(&c, &url, &tok2).await.0, 200);
    assert_eq!(g(&c, &url, &tok).await.0, 200);
    // Client credentials by HTTP Basic.
    let cr = Credentials::default();
    let resp = form(
        c.post(format!("{base}/token"))
            .basic_auth(&cr.google_client_id, Some(&cr.google_client_secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", cr.google_refresh_token.as_str()),
        ],
    )
    .send()
    .await
    .expect("request");
    assert_eq!(resp.status(), 200);
    // Wrong refresh token, client, secret, grant.
    let cases = [
        ("refresh_token", "1//wrong", 400, "invalid_grant"),
        ("client_id", "someone-else", 401, "invalid_client"),
        ("client_secret", "wrong", 401, "invalid_client"),
        (
            "grant_type",
            "authorization_code",
            400,
            "unsupported_grant_type",
        ),
    ];
    for (field, value, status, error) in cases {
        let mut fields = vec![
            ("grant_type", "refresh_token"),
            ("client_id", cr.google_client_id.as_str()),
            ("client_secret", cr.google_client_secret.as_str()),
            ("refresh_token", cr.google_refresh_token.as_str()),
        ];
        for f in fields.iter_mut().filter(|f| f.0 == field) {
            f.1 = value;
        }
        let resp = form(c.post(format!("{base}/token")), &fields)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), status, "{field}");
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(keys(&body), set(&["error", "error_description"]));
        assert_eq!(body["error"], error, "{field}");
    }
    // Another location, with a good token: not found.
    let other = format!("{base}/v4/accounts/1/locations/2/reviews");
    let (status, body) = g(&c, &other, &tok).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn google_pages_cover_every_review_once_in_the_documented_layout() {
    let (sim, data) = start(cfg(7)).await;
    let c = client();
    let base = sim.base_url();
    let tok = token(&c, base).await;
    let truth = data.truth();
    let want: BTreeSet<&str> = truth
        .reviews_of(ReviewPlatform::GoogleBusinessProfile)
        .map(|r| r.id.as_str())
        .collect();
    assert!(want.len() > 40);
    let agg = truth.google_aggregate();
    let stars: Vec<f64> = truth
        .reviews_of(ReviewPlatform::GoogleBusinessProfile)
        .map(|r| f64::from(r.stars))
        .collect();
    let mean = (stars.iter().sum::<f64>() / stars.len() as f64 * 10.0).round() / 10.0;
    assert_eq!(agg.average_rating, mean);
    let (_, first) = g(&c, &g_url(base), &tok).await;
    assert_eq!(first["averageRating"].as_f64(), Some(mean));
    assert_eq!(first["totalReviewCount"].as_u64(), Some(stars.len() as u64));
    assert_eq!(
        first["reviews"].as_array().map(Vec::len),
        Some(50),
        "pageSize defaults to 50"
    );

    for order in ["updateTime%20desc", "rating", "rating%20desc"] {
        let all = g_all(&c, base, &tok, 7, order).await;
        let ids: Vec<&str> = all
            .iter()
            .map(|r| r["reviewId"].as_str().expect("id"))
            .collect();
        assert_eq!(ids.len(), want.len(), "{order}");
        assert_eq!(
            ids.iter().copied().collect::<BTreeSet<_>>(),
            want,
            "{order}"
        );
        let rating = |r: &Value| {
            ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
                .iter()
                .position(|s| r["starRating"] == *s)
                .expect("a star rating")
        };
        match order {
            "rating" => assert!(all.windows(2).all(|w| rating(&w[0]) <= rating(&w[1]))),
            "rating%20desc" => assert!(all.windows(2).all(|w| rating(&w[0]) >= rating(&w[1]))),
            _ => assert!(
                all.windows(2)
                    .all(|w| time(&w[0]["updateTime"]) >= time(&w[1]["updateTime"]))
            ),
        }
    }
    // The documented layout (fixtures/reviews_social/google_business_profile/
    // constructed_reviews_list.json) and the ground truth's values.
    let all = g_all(&c, base, &tok, 50, "updateTime%20desc").await;
    let (mut edited_replies, mut rating_only, mut anonymous, mut millis) = (0, 0, 0, 0);
    for r in &all {
        let k = keys(r);
        let must = set(&[
            "name",
            "reviewId",
            "reviewer",
            "starRating",
            "createTime",
            "updateTime",
        ]);
        let may = set(&["comment", "reviewReply"]);
        assert!(must.is_subset(&k), "{k:?}");
        assert!(k.difference(&must).all(|x| may.contains(x)), "{k:?}");
        let id = r["reviewId"].as_str().expect("id");
        let cr = Credentials::default();
        assert_eq!(
            r["name"],
            format!(
                "accounts/{}/locations/{}/reviews/{id}",
                cr.google_account_id, cr.google_location_id
            )
        );
        let who = &r["reviewer"];
        if who["isAnonymous"] == true {
            anonymous += 1;
            assert_eq!(keys(who), set(&["displayName", "isAnonymous"]));
        } else {
            assert_eq!(
                keys(who),
                set(&["profilePhotoUrl", "displayName", "isAnonymous"])
            );
        }
        let t = truth
            .review(ReviewPlatform::GoogleBusinessProfile, id)
            .expect("a true review");
        assert_eq!(time(&r["createTime"]), t.created_at);
        assert_eq!(time(&r["updateTime"]), t.edited_at.unwrap_or(t.created_at));
        rating_only += usize::from(!k.contains("comment"));
        assert_eq!(!k.contains("comment"), t.rating_only);
        millis += usize::from(r["createTime"].as_str().is_some_and(|s| s.contains('.')));
        match r.get("reviewReply") {
            None => assert!(!t.answered()),
            Some(reply) => {
                assert_eq!(keys(reply), set(&["comment", "updateTime"]));
                assert_eq!(Some(time(&reply["updateTime"])), t.reply_served_at());
                if let (Some(first), Some(last)) = (t.reply_published_at, t.reply_edited_at) {
                    edited_replies += 1;
                    assert!(last > first);
                    assert_eq!(time(&reply["updateTime"]), last, "the last edit is served");
                }
            }
        }
    }
    assert!(edited_replies > 0 && rating_only > 0 && anonymous > 0 && millis > 0);
}

#[tokio::test]
async fn google_checks_its_parameters() {
    let (sim, _) = start(cfg(8)).await;
    let c = client();
    let base = sim.base_url();
    let tok = token(&c, base).await;
    let url = g_url(base);
    for q in [
        "pageSize=51",
        "pageSize=-1",
        "orderBy=createTime",
        "pageToken=nonsense",
    ] {
        let (status, body) = g(&c, &format!("{url}?{q}"), &tok).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{q}");
    }
    // A token is only good for the order it was issued for.
    let (_, page) = g(&c, &format!("{url}?pageSize=5&orderBy=rating"), &tok).await;
    let next = page["nextPageToken"].as_str().expect("a next page");
    let (status, _) = g(&c, &format!("{url}?pageSize=5&pageToken={next}"), &tok).await;
    assert_eq!(status, 400);
    let (status, _) = g(
        &c,
        &format!("{url}?pageSize=5&orderBy=rating&pageToken={next}"),
        &tok,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_location_without_reviews_answers_an_empty_object() {
    let mut config = cfg(9);
    config.data.reviews = ReviewsConfig::off();
    let (sim, data) = start(config).await;
    assert!(data.truth().reviews.is_empty());
    let c = client();
    let tok = token(&c, sim.base_url()).await;
    let (status, body) = g(&c, &g_url(sim.base_url()), &tok).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({}));
    let (status, body) = tp(
        &c,
        &format!("{}/v1/business-units/{}", sim.base_url(), bu()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["numberOfReviews"]["total"], 0);
    assert_eq!(body["score"]["trustScore"], 0.0);
}

#[tokio::test]
async fn review_endpoints_have_their_own_limits_and_faults() {
    let mut config = cfg(10);
    // So slow that no token comes back while the test runs, however slow the machine.
    config.limits = Limits {
        trustpilot_per_5_minutes: 2,
        google_per_minute: 2,
        speed: 1e-6,
        ..Limits::default()
    };
    let (sim, _) = start(config).await;
    let c = client();
    let base = sim.base_url();
    assert_eq!(sim.trustpilot_base_url(), format!("{base}/v1"));
    assert_eq!(sim.google_token_url(), format!("{base}/token"));
    let bu_url = format!("{base}/v1/business-units/{}", bu());
    assert_eq!(tp(&c, &bu_url).await.0, 200);
    assert_eq!(tp(&c, &bu_url).await.0, 200);
    let (status, body) = tp(&c, &bu_url).await;
    assert_eq!(status, 429);
    assert_eq!(
        body["fault"]["detail"]["errorcode"],
        "policies.ratelimit.QuotaViolation"
    );
    // Google's budget is its own: the token and one list.
    let tok = token(&c, base).await;
    assert_eq!(g(&c, &g_url(base), &tok).await.0, 200);
    let (status, body) = g(&c, &g_url(base), &tok).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 2);
    assert_eq!(stats.per_endpoint["trustpilot"], 3);
    assert_eq!(stats.per_endpoint["google_business_profile"], 3);
    sim.shutdown().await;

    // Server errors in each vendor's shape.
    let mut config = cfg(10);
    config.faults = Faults {
        server_error: 1.0,
        ..Faults::default()
    };
    let (sim, _) = start(config).await;
    let (status, body) = tp(
        &c,
        &format!("{}/v1/business-units/{}", sim.base_url(), bu()),
    )
    .await;
    assert!(status == 500 || status == 503);
    assert!(body["message"].is_string());
    let resp = c
        .post(format!("{}/token", sim.base_url()))
        .send()
        .await
        .expect("request");
    assert!(resp.status() == 500 || resp.status() == 503);
    let body: Value = resp.json().await.expect("JSON");
    assert!(body["error"]["status"] == "INTERNAL" || body["error"]["status"] == "UNAVAILABLE");
    sim.shutdown().await;

    // Repeated records: a page starts with reviews of the page before.
    let mut config = cfg(10);
    config.faults = Faults {
        repeat_records: 1.0,
        ..Faults::default()
    };
    let (sim, _) = start(config).await;
    let reviews = format!(
        "{}/v1/business-units/{}/reviews?perPage=10",
        sim.base_url(),
        bu()
    );
    let (_, p1) = tp(&c, &format!("{reviews}&page=1")).await;
    let (_, p2) = tp(&c, &format!("{reviews}&page=2")).await;
    let p2 = p2["reviews"].as_array().expect("reviews");
    assert!(p2.len() > 10);
    assert_eq!(p2[0]["id"], p1["reviews"][10 - (p2.len() - 10)]["id"]);
    assert!(sim.stats().repeated > 0);
}
