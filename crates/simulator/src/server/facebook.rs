//! Facebook Graph API endpoints of the simulated Page, under any `/v{major}.{minor}` prefix
//! (the reference notes cite `v21.0`; Graph serves every live version on the same paths).
//! A source's `base_url` is the simulator's root; its `api_version` any `vN.N`.
//!
//! Shapes (reference notes `review-social-apis.md` §1.5; fixtures
//! `fixtures/reviews_social/facebook_pages/constructed_page_{fields,ratings}.json`; Graph API
//! reference pages for Page, Page Feed/Posts, Comment, Page Ratings, Recommendation):
//! * `GET /{v}/{page_id}?fields=…`: only the fields asked (`id`, `name`, `followers_count`,
//!   `fan_count`, `overall_star_rating`, `rating_count`, `link`, `category`), `id` always
//!   (Graph adds a node's id); without `fields`, `name` and `id`.
//! * `GET /{v}/{page_id}/posts` (also `/feed`, `/published_posts`): newest first, `since` /
//!   `until` (unix seconds or a date/time as strtotime reads it: `2026-11-01`,
//!   `2026-11-01T10:00:00+0000`, RFC 3339; `since` inclusive, `until` exclusive — the
//!   simulator's choice), `limit` (default 25, at most 100: larger is served as 100),
//!   cursor paging: `{"data": […], "paging": {"cursors": {"before", "after"}, "previous"?,
//!   "next"?}}`, `next` an absolute URL on the simulator carrying the request's parameters
//!   (and `access_token` when the request had it in the query, as Graph's links do).
//! * Field expansion (`fields=id,created_time,comments.limit(100){id,from{id},created_time,
//!   is_hidden,comments.limit(100){id,from{id},created_time}}`): nested objects (`from`,
//!   `reviewer`, `open_graph_story`) take a sub-selection; nested edges (`comments`) take
//!   `.limit(n)` and `.order(chronological|reverse_chronological)` and serve their first
//!   page with their own `paging` (`next` on `/{v}/{node_id}/comments`). An empty edge is
//!   left out, as Graph leaves it out (the connector fixture's post without `comments`).
//! * `GET /{v}/{post_or_comment_or_story_id}/comments`: a post's top-level comments, a
//!   comment's replies (Graph: "Comment objects can have a /comments edge, which is called
//!   comment replies"), the comments on a recommendation's story; chronological by default
//!   (`order=reverse_chronological` reverses), the same paging. `GET /{v}/{node_id}` renders
//!   the node itself.
//! * `GET /{v}/{page_id}/ratings`: newest first, items `created_time`,
//!   `recommendation_type` (`positive`/`negative`), `review_text` (left out when there is
//!   none), `has_rating` (false: recommendations since August 2018), `has_review`,
//!   `reviewer{id,name}`, `open_graph_story{id, start_time, comments{…}}`; the page's replies
//!   are comments on the story.
//! * Times are Meta's `2026-11-10T11:00:00+0000`.
//! * Errors are Graph's `{"error": {"message", "type", "code", "error_subcode"?,
//!   "fbtrace_id"}}`: no token is code 104 "An access token is required to request this
//!   resource." (`OAuthException`, HTTP 400, as recorded in arsduo/koala#426 and
//!   node-facebook/facebook-node-sdk#105) and a wrong one code 190 "Invalid OAuth access token - Cannot
//!   parse access token" (`OAuthException`, HTTP 400 with `WWW-Authenticate: OAuth
//!   "Facebook Platform" "invalid_token" …`, as Graph answers); an unknown field is
//!   `(#100) Tried accessing nonexisting field (x) on node type (Page)`, an unknown id
//!   `Unsupported get request. Object with ID '…' does not exist…` (`GraphMethodException`,
//!   code 100, subcode 33), an unknown edge `Unknown path components: /x` (code 2500), a
//!   bad parameter code 100 — all HTTP 400. Over the hourly budget
//!   ([`crate::Limits::facebook_per_hour`]) Graph's Pages rate-limit error code 80001, HTTP
//!   400; every answer carries `X-Business-Use-Case-Usage` (percent of the budget used).

// Handlers return the vendor's error response as their `Err`: a large variant, on a path
// that is not hot.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value, json};

use super::reviews::form_pairs;
use super::{Repeat, Shared, json_response, percent_encode};
use crate::generate::ts;
use crate::social::{FbComment, FbNode, FbPost, FbRecommendation, FbReply, Who};
use crate::social_truth::BRAND_NAME;

/// Whether `path` is a Graph path: `/v{digits}.{digits}/…`.
pub(super) fn is_graph(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v") else {
        return false;
    };
    let version = rest.split('/').next().unwrap_or("");
    let mut parts = version.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none() && rest.contains('/')
}

fn trace(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("A{}", URL_SAFE_NO_PAD.encode(h.to_be_bytes()))
}

/// Graph's error body.
pub(super) fn graph_error(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: u32,
    subcode: Option<u32>,
) -> Response {
    let mut e = Map::new();
    e.insert("message".into(), json!(message));
    e.insert("type".into(), json!(kind));
    e.insert("code".into(), json!(code));
    if let Some(sc) = subcode {
        e.insert("error_subcode".into(), json!(sc));
    }
    e.insert("fbtrace_id".into(), json!(trace(message)));
    (status, axum::Json(json!({ "error": Value::Object(e) }))).into_response()
}

fn bad_param(message: &str) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        &format!("(#100) {message}"),
        "OAuthException",
        100,
        None,
    )
}

/// The token of a request: `access_token` in the query, or `Authorization: Bearer`/`OAuth`.
fn token_of(req: &Request) -> Option<String> {
    let q = req.uri().query().and_then(|q| {
        form_pairs(q.as_bytes())
            .into_iter()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v)
    });
    q.or_else(|| {
        let v = req
            .headers()
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .trim();
        ["Bearer ", "bearer ", "OAuth "]
            .iter()
            .find_map(|p| v.strip_prefix(p))
            .map(|t| t.trim().to_string())
    })
}

/// `None` when the request carries the page token, else Graph's 400.
pub(super) fn authorize(shared: &Shared, req: &Request) -> Option<Response> {
    match token_of(req) {
        Some(t) if t == shared.credentials.facebook_page_token => None,
        None => Some(graph_error(
            StatusCode::BAD_REQUEST,
            "An access token is required to request this resource.",
            "OAuthException",
            104,
            None,
        )),
        Some(_) => {
            let mut r = graph_error(
                StatusCode::BAD_REQUEST,
                "Invalid OAuth access token - Cannot parse access token",
                "OAuthException",
                190,
                None,
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token - Cannot parse access token\"",
                ),
            );
            Some(r)
        }
    }
}

/// Graph's Pages rate-limit error.
pub(super) fn rate_limited() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        "OAuthException",
        80001,
        None,
    )
}

/// Graph's transient errors.
pub(super) fn server_error(unavailable: bool) -> Response {
    if unavailable {
        graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "(#2) Service temporarily unavailable",
            "OAuthException",
            2,
            None,
        )
    } else {
        graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error has occurred. Please retry your request later.",
            "OAuthException",
            2,
            None,
        )
    }
}

/// Meta's time format.
fn meta_time(secs: i64) -> String {
    ts(secs).format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// One requested field: `name.limit(n).order(x){sub}`.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    limit: Option<usize>,
    reverse: bool,
    sub: Option<Vec<Field>>,
    /// The sub-selection as written (for the nested edge's `next` link).
    sub_raw: Option<String>,
}

/// Splits at top-level commas (outside `{}` and `()`).
fn split_top(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, ch) in s.char_indices() {
        match ch {
            '{' | '(' => depth += 1,
            '}' | ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced brackets in `fields`".into());
                }
            }
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced brackets in `fields`".into());
    }
    out.push(&s[start..]);
    Ok(out
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect())
}

fn parse_fields(s: &str) -> Result<Vec<Field>, String> {
    split_top(s)?.into_iter().map(parse_field).collect()
}

fn parse_field(item: &str) -> Result<Field, String> {
    let (head, sub_raw) = match item.find('{') {
        Some(i) if item.ends_with('}') => (&item[..i], Some(item[i + 1..item.len() - 1].trim())),
        Some(_) => return Err(format!("Syntax error in field {item:?}")),
        None => (item, None),
    };
    let mut parts = head.split('.');
    let name = parts.next().unwrap_or("").trim().to_string();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("Syntax error in field {item:?}"));
    }
    let mut f = Field {
        name,
        limit: None,
        reverse: false,
        sub: None,
        sub_raw: sub_raw.map(str::to_string),
    };
    for m in parts {
        let (key, arg) = m
            .strip_suffix(')')
            .and_then(|m| m.split_once('('))
            .ok_or_else(|| format!("Syntax error in modifier {m:?}"))?;
        match key {
            "limit" => {
                let n: usize = arg
                    .parse()
                    .map_err(|_| format!("limit({arg}) is not a number"))?;
                f.limit = Some(n.clamp(1, 100));
            }
            "order" => f.reverse = arg == "reverse_chronological",
            // Accepted and without effect here.
            "summary" | "filter" | "since" | "until" => {}
            _ => return Err(format!("Unknown field modifier {key:?}")),
        }
    }
    if let Some(raw) = sub_raw {
        f.sub = Some(parse_fields(raw)?);
    }
    Ok(f)
}

fn plain(names: &[&str]) -> Vec<Field> {
    names
        .iter()
        .map(|n| Field {
            name: (*n).to_string(),
            limit: None,
            reverse: false,
            sub: None,
            sub_raw: None,
        })
        .collect()
}

/// A Graph node the simulator serves.
#[derive(Clone, Copy)]
enum Node<'a> {
    Page,
    Post(&'a FbPost),
    Comment(&'a FbComment),
    Reply(&'a FbReply),
    Rating(&'a FbRecommendation),
    Story(&'a FbRecommendation),
    User(&'a Who),
}

/// What a field of a node is.
enum Lookup<'a> {
    Scalar(Value),
    Absent,
    Object(Node<'a>),
    Edge(Vec<Node<'a>>),
    Unknown,
}

/// Request context: where links point and what they carry.
struct Ctx<'a> {
    s: &'a Shared,
    version: &'a str,
    token_in_query: Option<String>,
}

impl<'a> Node<'a> {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Page => "Page",
            Node::Post(_) => "PagePost",
            Node::Comment(_) | Node::Reply(_) => "Comment",
            Node::Rating(_) => "Recommendation",
            Node::Story(_) => "OpenGraphAction",
            Node::User(_) => "User",
        }
    }

    fn id(&self, s: &Shared) -> Option<String> {
        match self {
            Node::Page => Some(s.credentials.facebook_page_id.clone()),
            Node::Post(p) => Some(p.id.clone()),
            Node::Comment(c) => Some(c.id.clone()),
            Node::Reply(r) => Some(r.id.clone()),
            Node::Rating(_) => None,
            Node::Story(r) => Some(r.story_id.clone()),
            Node::User(w) => Some(w.id.clone()),
        }
    }

    /// The cursor key of an item of a list.
    fn key(&self) -> String {
        match self {
            Node::Rating(r) => r.story_id.clone(),
            Node::Post(p) => p.id.clone(),
            Node::Comment(c) => c.id.clone(),
            Node::Reply(r) => r.id.clone(),
            Node::Story(r) => r.story_id.clone(),
            Node::User(w) => w.id.clone(),
            Node::Page => String::new(),
        }
    }

    fn default_fields(&self) -> &'static [&'static str] {
        match self {
            Node::Page => &["name", "id"],
            Node::Post(_) => &["created_time", "message", "id"],
            Node::Comment(_) | Node::Reply(_) => &["created_time", "from", "message", "id"],
            Node::Rating(_) => &[
                "created_time",
                "recommendation_type",
                "review_text",
                "has_rating",
                "has_review",
                "reviewer",
            ],
            Node::Story(_) => &["id", "start_time"],
            Node::User(_) => &["name", "id"],
        }
    }

    fn field(&self, name: &str, s: &'a Shared) -> Lookup<'a> {
        use Lookup::*;
        let d = &s.data;
        match (self, name) {
            (Node::Page, "id") => Scalar(json!(s.credentials.facebook_page_id)),
            (Node::Page, "name") => Scalar(json!(BRAND_NAME)),
            (Node::Page, "followers_count") => Scalar(json!(d.social.fb_followers)),
            (Node::Page, "fan_count") => Scalar(json!(d.social.fb_likes)),
            (Node::Page, "category") => Scalar(json!("Shopping & retail")),
            (Node::Page, "link") => Scalar(json!(format!(
                "https://www.facebook.com/{}",
                s.credentials.facebook_page_id
            ))),
            (Node::Page, "rating_count") => Scalar(json!(d.social.recommendations.len())),
            (Node::Page, "overall_star_rating") => {
                let n = d.social.recommendations.len();
                if n == 0 {
                    Absent
                } else {
                    let pos = d
                        .social
                        .recommendations
                        .iter()
                        .filter(|r| r.positive)
                        .count();
                    // Facebook's is "normalized": 1 to 5 from the share recommending.
                    let v = 1.0 + 4.0 * pos as f64 / n as f64;
                    Scalar(json!((v * 10.0).round() / 10.0))
                }
            }
            (Node::Page, "posts" | "feed" | "published_posts") => {
                Edge(d.social.posts.iter().map(Node::Post).collect())
            }
            (Node::Page, "ratings") => {
                Edge(d.social.recommendations.iter().map(Node::Rating).collect())
            }
            (Node::Post(p), "id") => Scalar(json!(p.id)),
            (Node::Post(p), "created_time" | "updated_time") => Scalar(json!(meta_time(p.created))),
            (Node::Post(p), "message") => Scalar(json!(p.message)),
            (Node::Post(p), "permalink_url") => Scalar(json!(format!(
                "https://www.facebook.com/{}",
                p.id.replace('_', "/posts/")
            ))),
            (Node::Post(_), "from") => Object(Node::Page),
            (Node::Post(p), "comments") => Edge(p.comments.iter().map(Node::Comment).collect()),
            (Node::Comment(c), "id") => Scalar(json!(c.id)),
            (Node::Comment(c), "created_time") => Scalar(json!(meta_time(c.created))),
            (Node::Comment(c), "message") => Scalar(json!(c.message)),
            (Node::Comment(c), "is_hidden") => Scalar(json!(c.is_hidden)),
            (Node::Comment(c), "comment_count") => Scalar(json!(c.replies.len())),
            (Node::Comment(_), "like_count") => Scalar(json!(0)),
            (Node::Comment(c), "from") => Object(Node::User(&c.from)),
            (Node::Comment(c), "comments") => Edge(c.replies.iter().map(Node::Reply).collect()),
            (Node::Reply(r), "id") => Scalar(json!(r.id)),
            (Node::Reply(r), "created_time") => Scalar(json!(meta_time(r.created))),
            (Node::Reply(r), "message") => Scalar(json!(r.message)),
            (Node::Reply(_), "is_hidden") => Scalar(json!(false)),
            (Node::Reply(_), "comment_count" | "like_count") => Scalar(json!(0)),
            (Node::Reply(r), "from") => Object(Node::User(&r.from)),
            (Node::Reply(_), "comments") => Edge(Vec::new()),
            (Node::Rating(r), "created_time") => Scalar(json!(meta_time(r.created))),
            (Node::Rating(r), "recommendation_type") => {
                Scalar(json!(if r.positive { "positive" } else { "negative" }))
            }
            (Node::Rating(r), "review_text") => r.text.map_or(Absent, |t| Scalar(json!(t))),
            (Node::Rating(_), "has_rating") => Scalar(json!(false)),
            (Node::Rating(r), "has_review") => Scalar(json!(r.text.is_some())),
            (Node::Rating(_), "rating") => Absent,
            (Node::Rating(r), "reviewer") => Object(Node::User(&r.reviewer)),
            (Node::Rating(r), "open_graph_story") => Object(Node::Story(r)),
            (Node::Story(r), "id") => Scalar(json!(r.story_id)),
            (Node::Story(r), "start_time") => Scalar(json!(meta_time(r.created))),
            (Node::Story(r), "comments") => Edge(r.comments.iter().map(Node::Reply).collect()),
            (Node::User(w), "id") => Scalar(json!(w.id)),
            (Node::User(w), "name") => Scalar(json!(w.name)),
            _ => Unknown,
        }
    }
}

impl Ctx<'_> {
    fn render(&self, node: Node<'_>, fields: Option<&[Field]>) -> Result<Value, Response> {
        let defaults;
        let fields = match fields {
            Some(f) => f,
            None => {
                defaults = plain(node.default_fields());
                &defaults
            }
        };
        let mut out = Map::new();
        for f in fields {
            match node.field(&f.name, self.s) {
                Lookup::Scalar(v) => {
                    out.insert(f.name.clone(), v);
                }
                Lookup::Absent => {}
                Lookup::Object(n) => {
                    out.insert(f.name.clone(), self.render(n, f.sub.as_deref())?);
                }
                Lookup::Edge(mut items) => {
                    if f.reverse {
                        items.reverse();
                    }
                    if items.is_empty() {
                        continue;
                    }
                    let owner = node.id(self.s).unwrap_or_default();
                    let limit = f.limit.unwrap_or(25);
                    let link = Link {
                        path: format!("{owner}/{}", f.name),
                        fields: f.sub_raw.clone(),
                        extra: if f.reverse {
                            vec![("order".into(), "reverse_chronological".into())]
                        } else {
                            Vec::new()
                        },
                    };
                    let page = self.page(&items, f.sub.as_deref(), limit, None, None, &link, 0)?;
                    out.insert(f.name.clone(), page);
                }
                Lookup::Unknown => {
                    return Err(bad_param(&format!(
                        "Tried accessing nonexisting field ({}) on node type ({})",
                        f.name,
                        node.type_name()
                    )));
                }
            }
        }
        if let Some(id) = node.id(self.s) {
            out.entry("id").or_insert(json!(id));
        }
        Ok(Value::Object(out))
    }

    /// One page of a list: `{"data", "paging"}`.
    #[allow(clippy::too_many_arguments)]
    fn page(
        &self,
        items: &[Node<'_>],
        fields: Option<&[Field]>,
        limit: usize,
        after: Option<&str>,
        before: Option<&str>,
        link: &Link,
        repeat: usize,
    ) -> Result<Value, Response> {
        let find = |c: &str| -> Result<usize, Response> {
            let key = URL_SAFE_NO_PAD
                .decode(c.trim_end_matches('='))
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            key.and_then(|k| items.iter().position(|n| n.key() == k))
                .ok_or_else(|| bad_param("The cursor is invalid"))
        };
        let (start, end) = match (after, before) {
            (Some(a), _) => {
                let i = find(a)? + 1;
                (i, (i + limit).min(items.len()))
            }
            (None, Some(b)) => {
                let i = find(b)?;
                (i.saturating_sub(limit), i)
            }
            (None, None) => (0, limit.min(items.len())),
        };
        let from = start - repeat.min(start);
        let data = items[from..end]
            .iter()
            .map(|n| self.render(*n, fields))
            .collect::<Result<Vec<_>, _>>()?;
        let mut body = Map::new();
        body.insert("data".into(), Value::Array(data));
        if start < end {
            let cur = |n: &Node<'_>| URL_SAFE_NO_PAD.encode(n.key());
            let (b, a) = (cur(&items[start]), cur(&items[end - 1]));
            let mut paging = Map::new();
            paging.insert("cursors".into(), json!({"before": b, "after": a}));
            if start > 0 {
                paging.insert(
                    "previous".into(),
                    json!(self.url(link, limit, "before", &b)),
                );
            }
            if end < items.len() {
                paging.insert("next".into(), json!(self.url(link, limit, "after", &a)));
            }
            body.insert("paging".into(), Value::Object(paging));
        }
        Ok(Value::Object(body))
    }

    fn url(&self, link: &Link, limit: usize, key: &str, cursor: &str) -> String {
        let mut q = Vec::new();
        if let Some(t) = &self.token_in_query {
            q.push(format!("access_token={}", percent_encode(t)));
        }
        if let Some(f) = &link.fields {
            q.push(format!("fields={}", percent_encode(f)));
        }
        for (k, v) in &link.extra {
            q.push(format!("{k}={}", percent_encode(v)));
        }
        q.push(format!("limit={limit}"));
        q.push(format!("{key}={cursor}"));
        format!(
            "{}/{}/{}?{}",
            self.s.base,
            self.version,
            link.path,
            q.join("&")
        )
    }
}

/// Where a list's links point: `/{v}/{path}?fields=…&{extra}&limit=…&after=…`.
struct Link {
    path: String,
    fields: Option<String>,
    extra: Vec<(String, String)>,
}

/// `since` / `until`: unix seconds, or a date/time.
fn parse_time(v: &str) -> Option<i64> {
    let v = v.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp());
    }
    if let Ok(t) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(t.timestamp());
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// Every Graph request (the server's fallback routes `/v{N}.{M}/…` here).
pub(super) async fn handle(s: Arc<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let version = segs[0];
    let pairs = req
        .uri()
        .query()
        .map(|q| form_pairs(q.as_bytes()))
        .unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let repeat = req.extensions().get::<Repeat>().map_or(0, |r| r.0);
    let ctx = Ctx {
        s: &s,
        version,
        token_in_query: get("access_token").map(str::to_string),
    };
    let fields = match get("fields").map(parse_fields).transpose() {
        Ok(f) => f,
        Err(e) => return bad_param(&e),
    };
    let limit = match get("limit").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) => n.clamp(1, 100),
        Some(Err(_)) => return bad_param("limit must be a number"),
    };
    let social = &s.data.social;
    let page_id = s.credentials.facebook_page_id.as_str();
    let node = match segs.get(1).copied() {
        Some(id) if id == page_id => Node::Page,
        Some(id) => match social.nodes.get(id) {
            Some(FbNode::Post(i)) => Node::Post(&social.posts[*i]),
            Some(FbNode::Comment(p, c)) => Node::Comment(&social.posts[*p].comments[*c]),
            Some(FbNode::Story(r)) => Node::Story(&social.recommendations[*r]),
            None => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
                    ),
                    "GraphMethodException",
                    100,
                    Some(33),
                );
            }
        },
        None => return bad_param("A node id is required"),
    };
    let result = match (segs.len(), segs.get(2).copied()) {
        (2, _) => ctx.render(node, fields.as_deref()),
        (3, Some(edge)) => {
            let Lookup::Edge(mut items) = node.field(edge, &s) else {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Unknown path components: /{edge}"),
                    "OAuthException",
                    2500,
                    None,
                );
            };
            let mut extra = Vec::new();
            if matches!(node, Node::Page) && edge != "ratings" {
                let since = match get("since").map(parse_time) {
                    Some(None) => return bad_param("since must be a unix time or a date"),
                    t => t.flatten(),
                };
                let until = match get("until").map(parse_time) {
                    Some(None) => return bad_param("until must be a unix time or a date"),
                    t => t.flatten(),
                };
                items.retain(|n| match n {
                    Node::Post(p) => {
                        since.is_none_or(|t| p.created >= t) && until.is_none_or(|t| p.created < t)
                    }
                    _ => true,
                });
                for k in ["since", "until"] {
                    if let Some(v) = get(k) {
                        extra.push((k.to_string(), v.to_string()));
                    }
                }
            }
            if edge == "comments" {
                match get("order") {
                    None | Some("chronological") => {}
                    Some("reverse_chronological") => {
                        items.reverse();
                        extra.push(("order".into(), "reverse_chronological".into()));
                    }
                    Some(_) => {
                        return bad_param("order must be chronological or reverse_chronological");
                    }
                }
            }
            let link = Link {
                path: format!("{}/{edge}", segs[1]),
                fields: get("fields").map(str::to_string),
                extra,
            };
            ctx.page(
                &items,
                fields.as_deref(),
                limit,
                get("after"),
                get("before"),
                &link,
                repeat,
            )
        }
        _ => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                &format!("Unknown path components: /{}", segs[2..].join("/")),
                "OAuthException",
                2500,
                None,
            );
        }
    };
    match result {
        Ok(v) => json_response(&v, (repeat > 0).then_some(Repeat(repeat))),
        Err(e) => e,
    }
}
