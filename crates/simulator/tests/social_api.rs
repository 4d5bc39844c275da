//! The social endpoints over HTTP (reqwest): Facebook's Graph API (page node, posts with
//! nested comments, comments, ratings) and X's API v2 (user, mentions, the brand's posts) —
//! layouts (the documented ones of the fixtures), paging, auth, limits, faults.

mod social_common;

use std::collections::{BTreeMap, BTreeSet};

use deskpulse_model::InteractionKind;
use deskpulse_simulator::{Credentials, Faults, Limits, SocialConfig, SocialPlatform};
use serde_json::{Value, json};
use social_common::*;

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
