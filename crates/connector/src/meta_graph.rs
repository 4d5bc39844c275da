//! Meta's Graph API (`graph.facebook.com`), as the Facebook Page and Instagram connectors
//! read it — what the two share, so each declares only its own nodes and edges:
//! - the keys every Graph source has and their checks ([`Keys`] → [`GraphSource`]): the
//!   node's numeric id, the access token, `base_url`, `api_version`, `rescan_days`,
//!   `page_size`, `requests_per_hour`;
//! - the client: the token as the `access_token` query parameter (as Graph's examples send
//!   it; the SDK scrubs it from logs, errors and the `paging.next` links it is echoed in),
//!   one hourly budget for the source (Meta counts calls per user and app);
//! - Graph's times (`2024-07-23T19:02:11+0000`, an offset without a colon; RFC 3339 too);
//! - lists and paging (`data`, `paging.next`, `paging.cursors.after`);
//! - Graph's error codes said plainly ([`explain`]: code 190 is the token).
//!
//! Each connector keeps its own settings struct (the settings keys are read from its serde
//! derive, which `flatten` would hide) and hands its keys over as [`Keys`].

use crate::auth::Auth;
use crate::http::{HttpClient, HttpSettings};
use crate::ratelimit::{RateBudget, RateBudgets};
use crate::registry::ConnectorFactory;
use crate::settings::{self, present, present_secret};
use crate::{BatchStream, ConnectorError, Secret};
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use serde::{Deserialize, Deserializer};

/// The Graph API host (the references' examples, `https://graph.facebook.com/v{N}/…`).
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// The Graph API version asked for by default: the one the references' recorded example
/// links name, the last before the Recommendation node's v22.0 deprecation. Meta keeps a
/// version for about two years: set a current one in `api_version`.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// The Graph API's largest `limit` on the edges the connectors read.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The client-side pace by default: a Page token falls under the Pages Business Use Case
/// limit (4 800 calls × engaged users per 24 hours), Instagram's business use case limit is
/// larger, a user or app token falls under the platform limit of 200 × users per hour; 200
/// an hour is within all of them with one user.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 200;

/// How many days each sync reads again, by default.
pub const DEFAULT_RESCAN_DAYS: u32 = 7;

/// The longest `rescan_days` accepted: the window is read whole every sync.
pub const MAX_RESCAN_DAYS: u32 = 93;

/// The node a source reads (a Page, an Instagram professional account), as its owner knows
/// it: for the messages that name its key.
pub struct Node<'a> {
    /// The settings key: `page_id`, `ig_user_id`.
    pub key: &'static str,
    pub value: &'a Option<String>,
    /// What it is: "the Page's numeric id".
    pub what: &'static str,
    /// An id of its kind: `112233445566778`.
    pub example: &'static str,
    /// What is sometimes written instead: "its name", "a username".
    pub not: &'static str,
    /// Where its owner finds it: "`GET /me/accounts` lists your Pages with their ids".
    pub found: &'static str,
}

/// The keys every Graph source has, as the connector's settings struct holds them.
pub struct Keys<'a> {
    pub node: Node<'a>,
    pub access_token: &'a Option<Secret>,
    /// What the token must be and allow, for the message when it is missing.
    pub token: &'static str,
    pub base_url: &'a Option<String>,
    pub api_version: &'a Option<String>,
    pub rescan_days: u32,
    /// The shortest `rescan_days` accepted (0 where the window counts back from the newest
    /// item read, not from now).
    pub min_rescan_days: u32,
    pub page_size: Option<u32>,
    /// The client-side pace; 0 = none.
    pub requests_per_hour: u32,
}

/// A Graph source, every key checked: which node it reads, in which version, how far back
/// and how many items a page.
#[derive(Debug, Clone)]
pub struct GraphSource {
    /// The node's numeric id.
    pub node: String,
    /// `v21.0`: the first path segment of every request.
    pub version: String,
    pub rescan: chrono::Duration,
    pub page_size: u32,
}

impl GraphSource {
    /// Checks `keys` and builds the source's client for kind `F` (its user agent); every
    /// error names the key to fix.
    pub fn new<F: ConnectorFactory>(keys: Keys<'_>) -> Result<(Self, HttpClient), ConnectorError> {
        let node = numeric_id(&keys.node)?;
        let token = present_secret(keys.access_token).cloned().ok_or_else(|| {
            ConnectorError::settings("access_token", format!("is not set: set {}", keys.token))
        })?;
        let version = match present(keys.api_version) {
            None => DEFAULT_API_VERSION.to_owned(),
            Some(v) if is_version(v) => v.to_owned(),
            Some(v) => {
                return Err(ConnectorError::settings(
                    "api_version",
                    format!(
                        "must be a Graph API version such as `{DEFAULT_API_VERSION}`, got {v:?}"
                    ),
                ));
            }
        };
        let rescan_days = settings::bounded(
            "rescan_days",
            keys.rescan_days,
            keys.min_rescan_days,
            MAX_RESCAN_DAYS,
        )?;
        let base_url = settings::base_url(keys.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
        let page_size = settings::page_size(keys.page_size, MAX_PAGE_SIZE, "page_size")?;
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::new(
                keys.requests_per_hour,
                std::time::Duration::from_secs(3600),
                1,
            ),
        );
        let auth = Auth::Query {
            name: "access_token".into(),
            value: token,
        };
        let http =
            HttpClient::new(HttpSettings::for_kind::<F>(base_url, auth))?.with_budgets(budgets);
        let source = GraphSource {
            node,
            version,
            rescan: chrono::Duration::days(i64::from(rescan_days)),
            page_size,
        };
        Ok((source, http))
    }

    /// `/{version}/{node}{rest}`: the node itself (`""`) or one of its edges (`"/posts"`).
    pub fn path(&self, rest: &str) -> String {
        format!("/{}/{}{rest}", self.version, self.node)
    }

    /// `/{version}/{id}/{edge}` for a node the API named (a medium's comments): an id that is
    /// not letters, digits or `_` could leave the node's path, and is `Malformed` at
    /// `endpoint` (the listing that named it).
    pub fn node_path(
        &self,
        id: &str,
        edge: &str,
        endpoint: &str,
    ) -> Result<String, ConnectorError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConnectorError::malformed(
                endpoint,
                format!("{id:?} is not a Graph API id"),
            ));
        }
        Ok(format!("/{}/{id}/{edge}", self.version))
    }
}

/// The node's id: set, and digits only. It becomes a path segment, and Graph ids are digits
/// (a Page's own comments are told apart by `from.id`, which a vanity name never matches).
fn numeric_id(node: &Node<'_>) -> Result<String, ConnectorError> {
    let id = present(node.value).ok_or_else(|| {
        ConnectorError::settings(
            node.key,
            format!("is not set: set {} ({})", node.what, node.found),
        )
    })?;
    if !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(ConnectorError::settings(
            node.key,
            format!(
                "must be {} (such as `{}`), not {}, got {id:?}",
                node.what, node.example, node.not
            ),
        ));
    }
    Ok(id.to_owned())
}

/// `v` + digits + `.` + digits.
fn is_version(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    v.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| digits(major) && digits(minor))
}

/// A Graph time: Meta's `2024-07-23T19:02:11+0000`, or RFC 3339.
pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{raw:?} is not a Graph API time (such as 2024-07-23T19:02:11+0000)"))
}

/// [`parse_time`] for serde: `#[serde(deserialize_with = "meta_graph::time")]`.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_time(&s).map_err(serde::de::Error::custom)
}

/// A Graph list: `data` is required (a page without it is malformed, never an empty end).
#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// A nested edge (`comments{…}` inside a post): may be absent, and its `data` too.
#[derive(Debug, Default, Deserialize)]
pub struct Edge<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// Graph's `paging`: `cursors.after` and, only when there is a next page, `next` (an
/// absolute URL on the vendor's host, with the token in it).
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Cursors {
    #[serde(default)]
    pub after: Option<String>,
}

impl Paging {
    /// The next page's link, or `None` at the end (blank counts as none).
    pub fn next_url(paging: &Option<Paging>) -> Option<String> {
        paging
            .as_ref()
            .and_then(|p| p.next.clone())
            .filter(|n| !n.trim().is_empty())
    }

    /// The next page's `after` cursor, or `None` at the end (no `next` link). The cursor is
    /// `cursors.after`, else the `after` of the `next` link (whose host, version and
    /// `access_token` are the vendor's: only the cursor is kept).
    pub fn next_after(&self) -> Result<Option<String>, String> {
        let Some(next) = self.next.as_deref().filter(|n| !n.trim().is_empty()) else {
            return Ok(None);
        };
        if let Some(after) = self
            .cursors
            .as_ref()
            .and_then(|c| c.after.clone())
            .filter(|a| !a.is_empty())
        {
            return Ok(Some(after));
        }
        let url = url::Url::parse(next)
            .map_err(|e| format!("the next link is not a URL ({e}) and no `cursors.after`"))?;
        url.query_pairs()
            .find(|(k, _)| k == "after")
            .map(|(_, v)| Some(v.into_owned()))
            .ok_or_else(|| "a next link without an `after` cursor".to_owned())
    }
}

/// Whether a Graph error body (`{"error": {"code": 190, …}}`) carries `code`.
pub fn has_code(detail: &str, code: u32) -> bool {
    let compact: String = detail.chars().filter(|c| !c.is_whitespace()).collect();
    let key = format!("\"code\":{code}");
    compact
        .match_indices(&key)
        .any(|(i, _)| matches!(compact[i + key.len()..].chars().next(), Some(',' | '}')))
}

/// Graph's own error codes, said plainly: code 190 (an expired or invalid token, which
/// Graph sends with HTTP 400) is `Unauthorized`; any other error stays as it is.
pub fn explain(err: ConnectorError) -> ConnectorError {
    match err {
        ConnectorError::Http {
            status: 400,
            endpoint,
            ref detail,
            ..
        } if has_code(detail, 190) => ConnectorError::Unauthorized {
            status: 400,
            endpoint,
        },
        other => other,
    }
}

/// `stream` with every error [`explain`]ed.
pub fn explained(stream: BatchStream<'_>) -> BatchStream<'_> {
    Box::pin(stream.map_err(explain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_times_in_both_forms() {
        let t: DateTime<Utc> = "2024-07-23T12:01:44Z".parse().unwrap();
        assert_eq!(parse_time("2024-07-23T12:01:44+0000"), Ok(t));
        assert_eq!(parse_time("2024-07-23T14:01:44+0200"), Ok(t));
        assert_eq!(parse_time("2024-07-23T12:01:44Z"), Ok(t));
        assert!(parse_time("2024-07-23").unwrap_err().contains("2024-07-23"));
    }

    #[test]
    fn versions_are_v_digits_dot_digits() {
        for ok in ["v21.0", "v3.10"] {
            assert!(is_version(ok), "{ok}");
        }
        for bad in ["21.0", "v21", "v21.", "v.0", "v21.0/x", "V21.0", ""] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn code_190_is_the_token_and_only_code_190() {
        let http = |status, detail: &str| ConnectorError::Http {
            status,
            endpoint: "/v21.0/1".into(),
            attempts: 1,
            detail: detail.into(),
        };
        let expired = r#"{"error": {"type": "OAuthException", "code": 190, "error_subcode": 463}}"#;
        assert!(matches!(
            explain(http(400, expired)),
            ConnectorError::Unauthorized { status: 400, .. }
        ));
        assert!(matches!(
            explain(http(400, r#"{"error":{"code":190}}"#)),
            ConnectorError::Unauthorized { .. }
        ));
        for other in [
            r#"{"error": {"code": 1901}}"#,
            r#"{"error": {"code": 100}}"#,
        ] {
            assert!(
                matches!(explain(http(400, other)), ConnectorError::Http { .. }),
                "{other}"
            );
        }
        assert!(matches!(
            explain(http(500, expired)),
            ConnectorError::Http { .. }
        ));
    }

    #[test]
    fn the_after_cursor_comes_from_cursors_or_the_next_link() {
        let paging = |v| serde_json::from_value::<Paging>(v).unwrap();
        let cursors =
            paging(serde_json::json!({"cursors": {"after": "A"}, "next": "https://x/?after=B"}));
        assert_eq!(cursors.next_after(), Ok(Some("A".into())));
        let link =
            paging(serde_json::json!({"next": "https://x/v21.0/1/media?after=B&access_token=t"}));
        assert_eq!(link.next_after(), Ok(Some("B".into())));
        let end = paging(serde_json::json!({"cursors": {"after": "A"}}));
        assert_eq!(end.next_after(), Ok(None));
        assert!(
            paging(serde_json::json!({"next": "https://x/"}))
                .next_after()
                .is_err()
        );
    }
}
