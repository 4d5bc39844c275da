//! Zendesk's Export Search Results (`GET /api/v2/search/export`, tickets only, a subset of the
//! query language): what a windowed first sync reads beside the incremental exports (the
//! unsolved tickets last updated before the window). The guard in `server.rs` has already
//! counted, authenticated, rate-limited (also on the endpoint's own minute,
//! [`crate::Limits::search_export_per_minute`]) and drawn faults.
//!
//! Source: developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results
//! ("The result set is ordered only by the created_at attribute"; "You must specify the type
//! in the `filter[type]` parameter. Searches with type in the query string will result in an
//! error"; "Returns a maximum of 1000 records per page"), and the cursor pagination guide
//! (`meta{has_more, after_cursor, before_cursor}`, `links{next, prev}`). Backward paging
//! (`page[before]`) is not served: `before_cursor` and `links.prev` are always `null`.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::zendesk::{Links, Meta, bad_param, decode_cursor, encode_cursor};
use super::{Shared, error, json_response, percent_encode};
use crate::generate::{Dataset, ZTicket};
use crate::render;

const SEARCH: &str = "/api/v2/search/export";
const SEARCH_JSON: &str = "/api/v2/search/export.json";

/// Every query pair, in order.
type Pairs = Query<Vec<(String, String)>>;

/// The routes of this module.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(SEARCH, get(search_export))
        .route(SEARCH_JSON, get(search_export))
}

/// Export Search Results (`search_export` in the stats, and its own minute).
pub(super) fn is_search(path: &str) -> bool {
    matches!(path, SEARCH | SEARCH_JSON)
}

/// The tickets in the search's order, `(created_at, id)`, built on first use (the dataset
/// keeps them by `(updated_at, id)`). Positions in the dataset's vector.
#[derive(Default)]
pub(super) struct Index {
    tickets_by_created: OnceLock<Vec<u32>>,
}

impl Index {
    fn tickets<'a>(&'a self, d: &Dataset) -> &'a [u32] {
        self.tickets_by_created.get_or_init(|| {
            let mut v: Vec<u32> = (0..d.tickets.len()).map(|i| i as u32).collect();
            v.sort_unstable_by_key(|&i| {
                (d.tickets[i as usize].created_at, d.tickets[i as usize].id)
            });
            v
        })
    }
}

fn first<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn page_size(p: &[(String, String)], default: usize, cap: usize) -> usize {
    first(p, "page[size]")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default)
        .clamp(1, cap.max(1))
}

/// `page[after]`: `Ok(None)` without one, `Err` when it is not a cursor of ours.
fn after(p: &[(String, String)]) -> Result<Option<(i64, i64)>, &'static str> {
    match first(p, "page[after]") {
        None => Ok(None),
        Some(c) => decode_cursor(c).map(Some).ok_or("page[after] is invalid"),
    }
}

fn invalid(description: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "InvalidValue", description)
}

/// Zendesk's ticket statuses in their search order (`status<solved`: new to hold).
const STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Lt,
    Gt,
    Eq,
}

impl Cmp {
    fn holds<T: Ord>(self, x: T, v: T) -> bool {
        match self {
            Cmp::Lt => x < v,
            Cmp::Gt => x > v,
            Cmp::Eq => x == v,
        }
    }
}

/// One term of a search query: `status` by its rank in [`STATUSES`], times in unix seconds.
#[derive(Debug, Clone, Copy)]
enum Term {
    Status(Cmp, usize),
    Updated(Cmp, i64),
    Created(Cmp, i64),
}

impl Term {
    /// Whether a ticket matches; a deleted ticket never does (search does not find them).
    fn holds(self, t: &ZTicket) -> bool {
        let Some(rank) = STATUSES.iter().position(|s| *s == t.status) else {
            return false;
        };
        match self {
            Term::Status(c, v) => c.holds(rank, v),
            Term::Updated(c, v) => c.holds(t.updated_at, v),
            Term::Created(c, v) => c.holds(t.created_at, v),
        }
    }
}

/// An ISO 8601 date (midnight UTC) or an RFC 3339 date-time.
fn instant(v: &str) -> Option<i64> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.timestamp())
}

/// The query language's subset: space-separated terms, all of which must hold:
/// `status<X`, `status>X`, `status:X`, and `updated` / `created` with `<` or `>` and a date.
fn parse_query(q: &str) -> Result<Vec<Term>, String> {
    let unsupported = |term: &str| {
        format!(
            "unsupported search term {term:?}: the simulator serves status<X, status>X, \
             status:X, updated<T, updated>T, created<T and created>T"
        )
    };
    let mut terms = Vec::new();
    for term in q.split_whitespace() {
        let Some(at) = term.find([':', '<', '>']) else {
            return Err(unsupported(term));
        };
        let (key, rest) = term.split_at(at);
        let value = &rest[1..];
        let cmp = match rest.as_bytes()[0] {
            b'<' => Cmp::Lt,
            b'>' => Cmp::Gt,
            _ => Cmp::Eq,
        };
        let key = key.to_ascii_lowercase();
        terms.push(match (key.as_str(), cmp) {
            ("type", Cmp::Eq) => {
                return Err(format!(
                    "{term:?}: searches with type in the query string are an error on the \
                     export; use filter[type]"
                ));
            }
            ("status", _) => {
                let v = value.to_ascii_lowercase();
                match STATUSES.iter().position(|s| *s == v) {
                    Some(rank) => Term::Status(cmp, rank),
                    None => return Err(unsupported(term)),
                }
            }
            ("updated" | "created", Cmp::Lt | Cmp::Gt) => {
                let Some(at) = instant(value) else {
                    return Err(unsupported(term));
                };
                if key == "updated" {
                    Term::Updated(cmp, at)
                } else {
                    Term::Created(cmp, at)
                }
            }
            _ => return Err(unsupported(term)),
        });
    }
    Ok(terms)
}

/// A search result: the ticket as the tickets API shows it, with its `result_type`.
#[derive(Serialize)]
struct Hit<'a> {
    #[serde(flatten)]
    ticket: render::TicketJson<'a>,
    result_type: &'static str,
}

#[derive(Serialize)]
struct SearchPage<'a> {
    results: Vec<Hit<'a>>,
    facets: Option<()>,
    links: Links,
    meta: Meta,
}

/// Export Search Results: `filter[type]=ticket`, `query`, `page[size]` (≤ 1000),
/// `page[after]`; ordered by `(created_at, id)`, which the cursor carries:
/// `base64url("{created_at}.0||{id}|")`, the exports' format.
async fn search_export(State(s): State<Arc<Shared>>, Query(p): Pairs) -> Response {
    match first(&p, "filter[type]") {
        Some("ticket") => {}
        None => return invalid("filter[type] is required"),
        Some("user" | "organization" | "group") => {
            return invalid("the simulator serves only filter[type]=ticket");
        }
        Some(_) => return invalid("filter[type] must be one of ticket, user, organization, group"),
    }
    let Some(q) = first(&p, "query").filter(|q| !q.trim().is_empty()) else {
        return invalid("query is required");
    };
    let terms = match parse_query(q) {
        Ok(t) => t,
        Err(e) => return invalid(&e),
    };
    let size = page_size(&p, 100, s.page_cap.min(1000));
    let start_after = match after(&p) {
        Ok(a) => a,
        Err(e) => return bad_param(e),
    };
    let recs = &s.data.tickets;
    let key = |t: &ZTicket| (t.created_at, t.id);
    let idx = s.lists.tickets(&s.data);
    let start = start_after.map_or(0, |k| idx.partition_point(|&i| key(&recs[i as usize]) <= k));
    let mut matching = idx[start..]
        .iter()
        .map(|&i| &recs[i as usize])
        .filter(|t| t.status != "deleted" && terms.iter().all(|term| term.holds(t)));
    let page: Vec<&ZTicket> = matching.by_ref().take(size).collect();
    let has_more = matching.next().is_some();
    let after_cursor = page.last().map(|t| encode_cursor(t.created_at, t.id));
    let next = after_cursor.as_ref().filter(|_| has_more).map(|c| {
        format!(
            "{}{SEARCH_JSON}?filter%5Btype%5D=ticket&page%5Bafter%5D={c}&page%5Bsize%5D={size}\
             &query={}",
            s.base,
            percent_encode(q)
        )
    });
    let body = SearchPage {
        results: page
            .iter()
            .map(|t| Hit {
                ticket: render::ticket(t, &s.base, None),
                result_type: "ticket",
            })
            .collect(),
        facets: None,
        links: Links { next, prev: None },
        meta: Meta {
            has_more,
            after_cursor,
            before_cursor: None,
        },
    };
    json_response(&body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_subset_parses_and_refuses_the_rest() {
        let t = parse_query("status<solved updated<2026-08-29").expect("parses");
        assert!(matches!(t[0], Term::Status(Cmp::Lt, 4)));
        assert!(matches!(t[1], Term::Updated(Cmp::Lt, 1_787_961_600)));
        let t = parse_query("STATUS:Open created>2026-08-29T10:11:12Z").expect("parses");
        assert!(matches!(t[0], Term::Status(Cmp::Eq, 1)));
        assert!(matches!(t[1], Term::Created(Cmp::Gt, 1_787_998_272)));
        for bad in [
            "type:ticket status<solved",
            "status<=solved",
            "status:deleted",
            "updated:2026-08-29",
            "updated<yesterday",
            "refund",
            "priority:high",
        ] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
        assert!(
            parse_query("type:ticket")
                .unwrap_err()
                .contains("filter[type]")
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            percent_encode("status<solved updated<2026-08-29T10:11:12Z"),
            "status%3Csolved%20updated%3C2026-08-29T10%3A11%3A12Z"
        );
    }
}
