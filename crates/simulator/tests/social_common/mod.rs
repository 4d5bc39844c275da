//! What the social tests share: the simulator's config and start, HTTP helpers, paging over
//! Graph lists and X timelines, and the served data mapped to `SocialInteraction` records as
//! the `facebook_page` and `x` connectors document it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deskpulse_model::{InteractionKind, SocialInteraction};
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Limits, RunningSimulator, SimConfig, Simulator, SocialConfig,
};
use serde_json::Value;

/// The field expansion the `facebook_page` connector asks for (its `POST_FIELDS`).
pub const POST_FIELDS: &str = "id,created_time,comments.limit(100){id,from{id},created_time,is_hidden,comments.limit(100){id,from{id},created_time}}";
/// The `facebook_page` connector's `RATING_FIELDS`.
pub const RATING_FIELDS: &str = "created_time,recommendation_type,reviewer{id},open_graph_story{id,comments.limit(100){id,from{id},created_time}}";

pub fn cfg(seed: u64, days: u32, social: SocialConfig) -> SimConfig {
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

pub async fn start(cfg: SimConfig) -> (RunningSimulator, Arc<Dataset>) {
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg)
        .await
        .expect("simulator starts");
    (sim, data)
}

/// A deadline for a request to be answered, never a measure of speed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

pub fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

pub fn set<'a>(k: &[&'a str]) -> BTreeSet<&'a str> {
    k.iter().copied().collect()
}

pub fn enc(s: &str) -> String {
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

pub fn page_id() -> String {
    Credentials::default().facebook_page_id
}

/// `{sim}/v21.0/{rest}` with the page token in the query.
pub fn graph(sim: &RunningSimulator, rest: &str) -> String {
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!(
        "{}/v21.0/{rest}{sep}access_token={}",
        sim.facebook_base_url(),
        Credentials::default().facebook_page_token
    )
}

pub async fn get(
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

pub fn meta_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_str(v.as_str().expect("a time"), "%Y-%m-%dT%H:%M:%S%z")
        .expect("Meta's +0000 time")
        .with_timezone(&Utc)
}

pub fn x_time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().expect("a time");
    assert!(s.ends_with(".000Z"), "{s}");
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Every item of a Graph list, following `paging.next`; checks each page's paging layout.
pub async fn graph_all(c: &reqwest::Client, first: &str) -> Vec<Value> {
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
pub async fn edge_all(c: &reqwest::Client, edge: Option<&Value>) -> Vec<Value> {
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
pub async fn facebook_records(
    c: &reqwest::Client,
    sim: &RunningSimulator,
) -> Vec<SocialInteraction> {
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
pub async fn x_all(
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
pub async fn x_records(c: &reqwest::Client, sim: &RunningSimulator) -> Vec<SocialInteraction> {
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

/// The key sets of `v` at every path (arrays merged), for comparing layouts.
pub fn shape(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
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
