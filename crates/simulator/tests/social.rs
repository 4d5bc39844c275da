//! The social endpoints over HTTP (reqwest): Facebook's Graph API (page node, posts with
//! nested comments, comments, ratings) and X's API v2 (user, mentions, the brand's posts) —
//! layouts, paging, auth, limits, faults — and the social ground truth: deterministic, on its
//! own random streams, and `public_response` / `negative_recommendations` equal to what the
//! metrics crate computes from the served payloads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deskpulse_metrics::{ReportInput, SocialInteractionInput, TeamConfig, compute_report};
use deskpulse_model::{InteractionKind, PeriodSpec, SocialInteraction};
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Faults, Limits, RunningSimulator, SimConfig, Simulator,
    SocialConfig, SocialPlatform,
};
use serde_json::{Value, json};

/// The field expansion the `facebook_page` connector asks for (its `POST_FIELDS`).
const POST_FIELDS: &str = "id,created_time,comments.limit(100){id,from{id},created_time,is_hidden,comments.limit(100){id,from{id},created_time}}";
/// The `facebook_page` connector's `RATING_FIELDS`.
const RATING_FIELDS: &str = "created_time,recommendation_type,reviewer{id},open_graph_story{id,comments.limit(100){id,from{id},created_time}}";

fn cfg(seed: u64, days: u32, social: SocialConfig) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days,
            tickets_per_day: 2.0,
            social,
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

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn page_id() -> String {
    Credentials::default().facebook_page_id
}

/// `{sim}/v21.0/{rest}` with the page token in the query.
fn graph(sim: &RunningSimulator, rest: &str) -> String {
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!(
        "{}/v21.0/{rest}{sep}access_token={}",
        sim.facebook_base_url(),
        Credentials::default().facebook_page_token
    )
}

async fn get(
    c: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
) -> (u16, Value, HashMap<String, String>) {
    let mut req = c.get(url);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body: Value = resp.json().await.expect("JSON");
    (status, body, headers)
}

fn meta_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_str(v.as_str().expect("a time"), "%Y-%m-%dT%H:%M:%S%z")
        .expect("Meta's +0000 time")
        .with_timezone(&Utc)
}

fn x_time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().expect("a time");
    assert!(s.ends_with(".000Z"), "{s}");
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Every item of a Graph list, following `paging.next`; checks each page's paging layout.
async fn graph_all(c: &reqwest::Client, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(url) = next {
        let (status, body, _) = get(c, &url, None).await;
        assert_eq!(status, 200, "{url}: {body}");
        out.extend(body["data"].as_array().expect("data").iter().cloned());
        next = body["paging"]["next"].as_str().map(str::to_string);
        if let Some(p) = body.get("paging") {
            assert!(keys(&p["cursors"]) == set(&["before", "after"]), "{p}");
        }
    }
    out
}

/// A nested edge, whole: its first page and its `paging.next` pages.
async fn edge_all(c: &reqwest::Client, edge: Option<&Value>) -> Vec<Value> {
    let Some(edge) = edge else {
        return Vec::new();
    };
    let mut out: Vec<Value> = edge["data"].as_array().expect("data").clone();
    if let Some(next) = edge["paging"]["next"].as_str() {
        out.extend(graph_all(c, next).await);
    }
    out
}

/// The served Facebook data mapped to records as the connector's docs say.
async fn facebook_records(c: &reqwest::Client, sim: &RunningSimulator) -> Vec<SocialInteraction> {
    let page = page_id();
    let first_page_reply = |replies: &[Value]| {
        replies
            .iter()
            .filter(|r| r["from"]["id"].as_str() == Some(page.as_str()))
            .map(|r| meta_time(&r["created_time"]))
            .min()
    };
    let mut out = Vec::new();
    let posts = graph_all(
        c,
        &graph(
            sim,
            &format!("{page}/posts?fields={}&limit=7", enc(POST_FIELDS)),
        ),
    )
    .await;
    for post in &posts {
        assert!(keys(post).is_subset(&set(&["id", "created_time", "comments"])));
        for comment in edge_all(c, post.get("comments")).await {
            assert!(
                keys(&comment).is_subset(&set(&[
                    "id",
                    "from",
                    "created_time",
                    "is_hidden",
                    "comments"
                ])),
                "{comment}"
            );
            if comment["from"]["id"].as_str() == Some(page.as_str()) {
                continue;
            }
            let replies = edge_all(c, comment.get("comments")).await;
            for r in &replies {
                assert_eq!(keys(r), set(&["id", "from", "created_time"]));
                assert_eq!(keys(&r["from"]), set(&["id"]));
            }
            out.push(SocialInteraction {
                platform: "facebook_page".into(),
                account: page.clone(),
                external_id: comment["id"].as_str().expect("id").into(),
                kind: InteractionKind::Comment,
                created_at: meta_time(&comment["created_time"]),
                author_id: comment["from"]["id"].as_str().map(str::to_string),
                positive: None,
                replied_at: first_page_reply(&replies),
                deleted: comment["is_hidden"].as_bool().expect("is_hidden"),
            });
        }
    }
    let ratings = graph_all(
        c,
        &graph(
            sim,
            &format!("{page}/ratings?fields={}&limit=4", enc(RATING_FIELDS)),
        ),
    )
    .await;
    for r in &ratings {
        assert_eq!(
            keys(r),
            set(&[
                "created_time",
                "recommendation_type",
                "reviewer",
                "open_graph_story"
            ])
        );
        let story = &r["open_graph_story"];
        let comments = edge_all(c, story.get("comments")).await;
        out.push(SocialInteraction {
            platform: "facebook_page".into(),
            account: page.clone(),
            external_id: story["id"]
                .as_str()
                .expect("id")
                .rsplit('_')
                .next()
                .expect("object")
                .into(),
            kind: InteractionKind::Recommendation,
            created_at: meta_time(&r["created_time"]),
            author_id: r["reviewer"]["id"].as_str().map(str::to_string),
            positive: Some(r["recommendation_type"] == "positive"),
            replied_at: first_page_reply(&comments),
            deleted: false,
        });
    }
    out
}

/// Every post of an X timeline, following `meta.next_token`.
async fn x_all(
    c: &reqwest::Client,
    sim: &RunningSimulator,
    edge: &str,
    fields: &str,
) -> Vec<Value> {
    let creds = Credentials::default();
    let base = format!(
        "{}/2/users/{}/{edge}?max_results=100&tweet.fields={fields}",
        sim.x_base_url(),
        creds.x_user_id
    );
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let url = match &token {
            Some(t) => format!("{base}&pagination_token={t}"),
            None => base.clone(),
        };
        let (status, body, headers) = get(c, &url, Some(&creds.x_bearer_token)).await;
        assert_eq!(status, 200, "{body}");
        for h in [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ] {
            assert!(headers.contains_key(h), "{h}");
        }
        let meta = &body["meta"];
        let data = body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(meta["result_count"].as_u64(), Some(data.len() as u64));
        if let (Some(first), Some(last)) = (data.first(), data.last()) {
            assert_eq!(meta["newest_id"], first["id"]);
            assert_eq!(meta["oldest_id"], last["id"]);
        } else {
            assert_eq!(keys(&body), set(&["meta"]));
        }
        out.extend(data);
        match meta["next_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    out
}

/// The served X data mapped to records as the connector's docs say.
async fn x_records(c: &reqwest::Client, sim: &RunningSimulator) -> Vec<SocialInteraction> {
    let brand = Credentials::default().x_user_id;
    let mentions = x_all(
        c,
        sim,
        "mentions",
        "created_at,author_id,conversation_id,referenced_tweets",
    )
    .await;
    let own = x_all(c, sim, "tweets", "created_at,referenced_tweets").await;
    let mut replies: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for t in &own {
        for r in t["referenced_tweets"].as_array().into_iter().flatten() {
            if r["type"] == "replied_to" {
                let at = x_time(&t["created_at"]);
                let e = replies
                    .entry(r["id"].as_str().expect("id").into())
                    .or_insert(at);
                *e = (*e).min(at);
            }
        }
    }
    let ids: Vec<u64> = mentions
        .iter()
        .map(|m| m["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    mentions
        .iter()
        .filter(|m| m["author_id"].as_str() != Some(brand.as_str()))
        .filter(|m| {
            !m["referenced_tweets"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["type"] == "retweeted")
        })
        .map(|m| {
            assert_eq!(
                keys(m),
                set(&[
                    "id",
                    "text",
                    "edit_history_tweet_ids",
                    "created_at",
                    "author_id",
                    "conversation_id"
                ])
                .union(&if m.get("referenced_tweets").is_some() {
                    set(&["referenced_tweets"])
                } else {
                    set(&[])
                })
                .copied()
                .collect()
            );
            let id = m["id"].as_str().expect("id").to_string();
            SocialInteraction {
                platform: "x".into(),
                account: brand.clone(),
                kind: InteractionKind::Mention,
                created_at: x_time(&m["created_at"]),
                author_id: m["author_id"].as_str().map(str::to_string),
                positive: None,
                replied_at: replies.get(&id).copied(),
                deleted: false,
                external_id: id,
            }
        })
        .collect()
}

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
async fn facebook_layouts_auth_and_errors() {
    let (sim, data) = start(cfg(23, 20, SocialConfig::default())).await;
    let c = client();
    let page = page_id();
    let truth = data.truth();
    // Only the fields asked, and the id.
    let (s, body, headers) = get(
        &c,
        &graph(&sim, &format!("{page}?fields=followers_count,fan_count")),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(keys(&body), set(&["followers_count", "fan_count", "id"]));
    assert_eq!(
        body["followers_count"].as_u64(),
        Some(truth.facebook_followers())
    );
    assert_eq!(body["fan_count"].as_u64(), Some(truth.facebook_likes()));
    assert!(headers.contains_key("x-business-use-case-usage"));
    let (_, body, _) = get(&c, &graph(&sim, &page), None).await;
    assert_eq!(keys(&body), set(&["name", "id"]));
    // Any version; the token as a Bearer header.
    let (s, body, _) = get(
        &c,
        &format!("{}/v19.0/{page}?fields=name", sim.facebook_base_url()),
        Some(&Credentials::default().facebook_page_token),
    )
    .await;
    assert_eq!((s, body["id"].as_str()), (200, Some(page.as_str())));
    // Auth.
    let bare = format!("{}/v21.0/{page}/posts", sim.facebook_base_url());
    let (s, body, _) = get(&c, &bare, None).await;
    assert_eq!((s, body["error"]["code"].as_u64()), (400, Some(104)));
    let (s, body, _) = get(&c, &format!("{bare}?access_token=wrong"), None).await;
    assert_eq!((s, body["error"]["code"].as_u64()), (400, Some(190)));
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(
        keys(&body["error"]),
        set(&["message", "type", "code", "fbtrace_id"])
    );
    // Errors.
    let (s, body, _) = get(&c, &graph(&sim, &format!("{page}?fields=bogus")), None).await;
    assert_eq!((s, body["error"]["code"].as_u64()), (400, Some(100)));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nonexisting field (bogus)")
    );
    let (s, body, _) = get(&c, &graph(&sim, "999/posts"), None).await;
    assert_eq!(
        (s, body["error"]["error_subcode"].as_u64()),
        (400, Some(33))
    );
    let (s, body, _) = get(
        &c,
        &graph(&sim, &format!("{page}/posts?since=yesterday-ish")),
        None,
    )
    .await;
    assert_eq!((s, body["error"]["code"].as_u64()), (400, Some(100)));
    // Default post and comment layouts; `/comments` of a post, a comment, a story.
    let (_, body, _) = get(&c, &graph(&sim, &format!("{page}/posts?limit=100")), None).await;
    let posts = body["data"].as_array().unwrap();
    assert_eq!(keys(&posts[0]), set(&["created_time", "message", "id"]));
    let with = posts
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    let mut seen_replies = false;
    for id in with.iter().take(10) {
        let comments = graph_all(&c, &graph(&sim, &format!("{id}/comments?limit=2"))).await;
        for cm in &comments {
            assert_eq!(keys(cm), set(&["created_time", "from", "message", "id"]));
            assert_eq!(keys(&cm["from"]), set(&["name", "id"]));
            let replies = graph_all(
                &c,
                &graph(&sim, &format!("{}/comments", cm["id"].as_str().unwrap())),
            )
            .await;
            seen_replies |= !replies.is_empty();
        }
    }
    assert!(seen_replies);
    // since / until on posts: unix or dates, all inside.
    let since = data.now().timestamp() - 5 * 86_400;
    let recent = graph_all(
        &c,
        &graph(&sim, &format!("{page}/posts?since={since}&limit=2")),
    )
    .await;
    assert!(
        recent
            .iter()
            .all(|p| meta_time(&p["created_time"]).timestamp() >= since)
    );
    let older = graph_all(&c, &graph(&sim, &format!("{page}/posts?until={since}"))).await;
    let all = graph_all(&c, &graph(&sim, &format!("{page}/posts"))).await;
    assert_eq!(recent.len() + older.len(), all.len());
    let day = (data.now() - chrono::TimeDelta::days(5))
        .format("%Y-%m-%d")
        .to_string();
    let by_date = graph_all(&c, &graph(&sim, &format!("{page}/posts?since={day}"))).await;
    assert!(by_date.len() >= recent.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn facebook_paging_covers_everything_once() {
    let (sim, data) = start(cfg(
        24,
        30,
        SocialConfig {
            facebook_posts_per_day: 0.25,
            facebook_comments_per_day: 30.0,
            third_party_reply_rate: 0.6,
            ..SocialConfig::default()
        },
    ))
    .await;
    let c = client();
    let records = facebook_records(&c, &sim).await;
    let mut ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "no item twice");
    let truth: BTreeSet<&str> = data
        .truth()
        .social_of(SocialPlatform::FacebookPage)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), truth);
    assert!(data.truth().social_of(SocialPlatform::FacebookPage).count() > 800);
    // Nested edges page: tiny limits reach every comment and reply through `paging.next`.
    let page = page_id();
    let posts = graph_all(
        &c,
        &graph(
            &sim,
            &format!(
                "{page}/posts?fields={}",
                enc("comments.limit(2){id,comments.limit(1){id,from{id}}}")
            ),
        ),
    )
    .await;
    let (mut comments, mut replies, mut busy) = (0, 0, 0);
    for post in &posts {
        let edge = post.get("comments");
        busy += usize::from(edge.is_some_and(|e| e["paging"].get("next").is_some()));
        for cm in edge_all(&c, edge).await {
            comments += 1;
            replies += edge_all(&c, cm.get("comments")).await.len();
        }
    }
    assert!(
        busy >= 3 && busy * 2 >= posts.len(),
        "{busy} of {}",
        posts.len()
    );
    let stored: usize = data
        .truth()
        .social_of(SocialPlatform::FacebookPage)
        .filter(|i| i.kind == InteractionKind::Comment)
        .count();
    assert!(comments > stored, "customer comments and the page's own");
    assert!(replies > stored / 2);
    // Paging backwards with `before` gives the previous page.
    let (_, p1, _) = get(&c, &graph(&sim, &format!("{page}/posts?limit=3")), None).await;
    let (_, p2, _) = get(&c, p1["paging"]["next"].as_str().unwrap(), None).await;
    let (_, back, _) = get(&c, p2["paging"]["previous"].as_str().unwrap(), None).await;
    assert_eq!(back["data"], p1["data"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn x_layouts_paging_auth_and_limits() {
    let mut config = cfg(25, 30, SocialConfig::default());
    config.limits = Limits {
        x_mentions_per_15_minutes: 3,
        ..Limits::default()
    };
    let (sim, data) = start(config).await;
    let c = client();
    let creds = Credentials::default();
    let token = Some(creds.x_bearer_token.as_str());
    let user = format!("{}/2/users/{}", sim.x_base_url(), creds.x_user_id);
    let (s, body, headers) = get(&c, &format!("{user}?user.fields=public_metrics"), token).await;
    assert_eq!(s, 200);
    assert_eq!(
        keys(&body["data"]),
        set(&["id", "name", "username", "public_metrics"])
    );
    assert_eq!(
        keys(&body["data"]["public_metrics"]),
        set(&[
            "followers_count",
            "following_count",
            "tweet_count",
            "listed_count",
            "like_count",
            "media_count"
        ])
    );
    assert_eq!(
        body["data"]["public_metrics"]["followers_count"].as_u64(),
        Some(data.truth().x_followers())
    );
    assert_eq!(headers["x-rate-limit-limit"], "300");
    assert_eq!(headers["x-rate-limit-remaining"], "299");
    let (_, body, _) = get(&c, &user, token).await;
    assert_eq!(keys(&body["data"]), set(&["id", "name", "username"]));
    // Unknown user: a partial error on 200.
    let (s, body, _) = get(&c, &format!("{}/2/users/42", sim.x_base_url()), token).await;
    assert_eq!(s, 200);
    assert_eq!(body["errors"][0]["title"], "Not Found Error");
    // Auth.
    let (s, body, _) = get(&c, &format!("{user}/mentions"), None).await;
    assert_eq!((s, body["title"].as_str()), (401, Some("Unauthorized")));
    let (s, _, _) = get(&c, &format!("{user}/mentions"), Some("nope")).await;
    assert_eq!(s, 401);
    // Parameters, then the 15-minute budget (3 here): each counted, then 429.
    let (s, body, h1) = get(&c, &format!("{user}/mentions?max_results=4"), token).await;
    assert_eq!((s, body["title"].as_str()), (400, Some("Invalid Request")));
    assert_eq!(h1["x-rate-limit-remaining"], "2");
    let (s, body, _) = get(
        &c,
        &format!("{user}/mentions?tweet.fields=bogus&next_token=x"),
        token,
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1));
    let (s, body, h3) = get(
        &c,
        &format!("{user}/mentions?max_results=5&tweet.fields=created_at"),
        token,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h3["x-rate-limit-remaining"], "0");
    let posts = body["data"].as_array().unwrap();
    assert_eq!(posts.len(), 5);
    assert_eq!(
        keys(&posts[0]),
        set(&["id", "text", "edit_history_tweet_ids", "created_at"])
    );
    assert_eq!(
        keys(&body["meta"]),
        set(&["result_count", "newest_id", "oldest_id", "next_token"])
    );
    let (s, body, h4) = get(&c, &format!("{user}/mentions"), token).await;
    assert_eq!(
        (s, body["title"].as_str()),
        (429, Some("Too Many Requests"))
    );
    assert_eq!(h4["x-rate-limit-remaining"], "0");
    assert_eq!(h4["x-rate-limit-reset"], h3["x-rate-limit-reset"]);
    // The other endpoints keep their own windows.
    let (s, _, h) = get(&c, &format!("{user}/tweets"), token).await;
    assert_eq!((s, h["x-rate-limit-limit"].as_str()), (200, "1500"));
    sim.shutdown().await;
}

#[tokio::test]
async fn x_paging_covers_everything_once_and_serves_only_the_800_newest() {
    let (sim, data) = start(cfg(
        26,
        60,
        SocialConfig {
            x_mentions_per_day: 18.0,
            ..SocialConfig::default()
        },
    ))
    .await;
    let c = client();
    let mentions = x_all(&c, &sim, "mentions", "created_at").await;
    assert_eq!(mentions.len(), 800);
    let ids: BTreeSet<&str> = mentions.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 800);
    let truth = data.truth();
    let all = truth.social_of(SocialPlatform::X).count() + truth.social.x_retweets;
    assert!(all > 800);
    // since_id / start_time narrow it; the brand's timeline has its replies.
    let creds = Credentials::default();
    let newest = mentions[10]["id"].as_str().unwrap();
    let (_, body, _) = get(
        &c,
        &format!(
            "{}/2/users/{}/mentions?since_id={newest}&max_results=100",
            sim.x_base_url(),
            creds.x_user_id
        ),
        Some(&creds.x_bearer_token),
    )
    .await;
    assert_eq!(body["meta"]["result_count"].as_u64(), Some(10));
    let own = x_all(
        &c,
        &sim,
        "tweets",
        "created_at,referenced_tweets,in_reply_to_user_id",
    )
    .await;
    assert!(
        own.iter()
            .any(|t| t["referenced_tweets"][0]["type"] == "replied_to"
                && t.get("in_reply_to_user_id").is_some())
    );
    assert!(own.iter().any(|t| t.get("referenced_tweets").is_none()));
    sim.shutdown().await;
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

#[tokio::test]
async fn social_faults_use_each_vendors_error_shape() {
    let mut config = cfg(28, 10, SocialConfig::default());
    config.faults = Faults {
        server_error: 1.0,
        ..Faults::default()
    };
    let (sim, _) = start(config).await;
    let c = client();
    let (s, body, _) = get(&c, &graph(&sim, &page_id()), None).await;
    assert!(s == 500 || s == 503);
    assert_eq!(body["error"]["code"].as_u64(), Some(2));
    let creds = Credentials::default();
    let (s, body, h) = get(
        &c,
        &format!("{}/2/users/{}", sim.x_base_url(), creds.x_user_id),
        Some(&creds.x_bearer_token),
    )
    .await;
    assert!(s == 500 || s == 503);
    assert_eq!(body["status"].as_u64(), Some(u64::from(s)));
    assert!(h.contains_key("x-rate-limit-remaining"));
    sim.shutdown().await;
}

#[tokio::test]
async fn facebook_rate_limit_is_graphs_page_error() {
    let mut config = cfg(29, 5, SocialConfig::default());
    config.limits = Limits {
        facebook_per_hour: 2,
        ..Limits::default()
    };
    let (sim, _) = start(config).await;
    let c = client();
    let url = graph(&sim, &page_id());
    for _ in 0..2 {
        assert_eq!(get(&c, &url, None).await.0, 200);
    }
    let (s, body, h) = get(&c, &url, None).await;
    assert_eq!((s, body["error"]["code"].as_u64()), (400, Some(80001)));
    assert!(h["x-business-use-case-usage"].contains("\"call_count\":100"));
    sim.shutdown().await;
}

/// The key sets of `v` at every path (arrays merged), for comparing layouts.
fn shape(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match v {
        Value::Object(m) => {
            let e = out.entry(path.to_string()).or_default();
            e.extend(m.keys().cloned());
            for (k, x) in m {
                shape(x, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for x in a {
                shape(x, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn documented_layouts_of_the_fixtures() {
    let (sim, data) = start(cfg(
        30,
        90,
        SocialConfig {
            facebook_recommendations_per_day: 3.0,
            recommendation_reply_rate_positive: 1.0,
            recommendation_reply_rate_negative: 1.0,
            ..SocialConfig::default()
        },
    ))
    .await;
    let c = client();
    let page = page_id();
    // fixtures/reviews_social/facebook_pages/constructed_page_fields.json.
    let (_, body, _) = get(
        &c,
        &graph(
            &sim,
            &format!(
                "{page}?fields=id,name,fan_count,followers_count,overall_star_rating,rating_count"
            ),
        ),
        None,
    )
    .await;
    assert_eq!(
        keys(&body),
        set(&[
            "id",
            "name",
            "fan_count",
            "followers_count",
            "overall_star_rating",
            "rating_count"
        ])
    );
    let n = data
        .truth()
        .social_of(SocialPlatform::FacebookPage)
        .filter(|i| i.kind == InteractionKind::Recommendation)
        .count();
    assert_eq!(body["rating_count"].as_u64(), Some(n as u64));
    // fixtures/reviews_social/facebook_pages/constructed_page_ratings.json: its `next` link's
    // fields, and the layout of its item (with review text) and paging.
    let fields = "created_time,recommendation_type,review_text,has_rating,has_review,reviewer,open_graph_story{id,comments{id,message,created_time,from}}";
    let (_, body, _) = get(
        &c,
        &graph(
            &sim,
            &format!("{page}/ratings?fields={}&limit=25", enc(fields)),
        ),
        None,
    )
    .await;
    let with_text: Vec<Value> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("review_text").is_some())
        .cloned()
        .collect();
    let mut got = BTreeMap::new();
    shape(
        &json!({"data": with_text, "paging": body["paging"].clone()}),
        "",
        &mut got,
    );
    let want: BTreeMap<String, BTreeSet<String>> = [
        ("", vec!["data", "paging"]),
        (
            ".data[]",
            vec![
                "created_time",
                "recommendation_type",
                "review_text",
                "has_rating",
                "has_review",
                "reviewer",
                "open_graph_story",
            ],
        ),
        (".data[].reviewer", vec!["id", "name"]),
        (".data[].open_graph_story", vec!["id", "comments"]),
        (".data[].open_graph_story.comments", vec!["data", "paging"]),
        (
            ".data[].open_graph_story.comments.data[]",
            vec!["id", "message", "created_time", "from"],
        ),
        (
            ".data[].open_graph_story.comments.data[].from",
            vec!["id", "name"],
        ),
        (".data[].open_graph_story.comments.paging", vec!["cursors"]),
        (
            ".data[].open_graph_story.comments.paging.cursors",
            vec!["before", "after"],
        ),
        (".paging", vec!["cursors", "next"]),
        (".paging.cursors", vec!["before", "after"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(got, want);
    let item = &body["data"][0];
    assert!(item["created_time"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(item["has_rating"], false);
    assert!(
        item["open_graph_story"]["id"]
            .as_str()
            .unwrap()
            .starts_with(item["reviewer"]["id"].as_str().unwrap())
    );
    assert!(
        body["paging"]["next"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{}/v21.0/{page}/ratings?access_token=",
                sim.base_url()
            ))
    );
    // The connector fixture's X mentions page (tweet.fields=author_id,created_at,
    // conversation_id,referenced_tweets): per post `edit_history_tweet_ids`, `id`, `text`,
    // `author_id`, `created_at`, `conversation_id`, `referenced_tweets` when it references.
    let creds = Credentials::default();
    let (_, body, _) = get(
        &c,
        &format!(
            "{}/2/users/{}/mentions?max_results=100&tweet.fields=author_id,created_at,conversation_id,referenced_tweets&expansions=author_id&user.fields=username",
            sim.x_base_url(),
            creds.x_user_id
        ),
        Some(&creds.x_bearer_token),
    )
    .await;
    let mut got = BTreeMap::new();
    shape(&body, "", &mut got);
    assert_eq!(
        got[""],
        ["data", "includes", "meta"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        got[".data[]"],
        [
            "edit_history_tweet_ids",
            "id",
            "text",
            "author_id",
            "created_at",
            "conversation_id",
            "referenced_tweets"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    assert_eq!(
        got[".data[].referenced_tweets[]"],
        ["type", "id"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        got[".includes.users[]"],
        ["id", "name", "username"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    sim.shutdown().await;
}
