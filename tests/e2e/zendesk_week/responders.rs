//! The golden week's answers that depend on the request: the events export from any
//! `start_time`, and the ratings list with its `start_time` and cursor.

use super::{PROD, ok, t, unix};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

/// The events export's answer to a `start_time` that is no page boundary (see
/// `mount_ticket_events`): as Zendesk answers, the audits from `start_time` on (it is
/// inclusive), two a page, `end_time` the last one's time, `end_of_stream` after the last.
pub(super) struct AnyStart(pub(super) Vec<Value>);

impl wiremock::Respond for AnyStart {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let p = "/api/v2/incremental/ticket_events.json";
        let Some(start) = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "start_time")
            .and_then(|(_, v)| v.parse::<i64>().ok())
        else {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": "InvalidParameter start_time"}));
        };
        let ts = |e: &Value| e["timestamp"].as_i64().unwrap_or(0);
        let from: Vec<&Value> = self.0.iter().filter(|e| ts(e) >= start).collect();
        let page: Vec<&Value> = from.iter().take(2).copied().collect();
        let end_time = page.last().map_or(start, |e| ts(e));
        ok(json!({
            "ticket_events": page, "count": page.len(), "end_of_stream": from.len() <= 2,
            "end_time": end_time,
            "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}"),
        }))
    }
}

/// `satisfaction_ratings.json` as Zendesk answers it: ratings with `created_at >= start_time`,
/// oldest first, two a page, cursor pagination with `page[after]`.
pub(super) struct RatingsList(pub(super) Vec<Value>);

impl wiremock::Respond for RatingsList {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let q = query(req);
        let Some(start) = q.get("start_time").and_then(|s| s.parse::<i64>().ok()) else {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": "InvalidParameter start_time"}));
        };
        let offset: usize = q
            .get("page[after]")
            .and_then(|a| a.strip_prefix('r'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let mut all: Vec<&Value> = self
            .0
            .iter()
            .filter(|r| unix(r["created_at"].as_str().unwrap_or_default()) >= start)
            .collect();
        all.sort_by_key(|r| t(r["created_at"].as_str().unwrap_or_default()));
        let page: Vec<&Value> = all.iter().skip(offset).take(2).copied().collect();
        let more = offset + 2 < all.len();
        let after = format!("r{}", offset + 2);
        ok(json!({
            "satisfaction_ratings": page,
            "meta": {"has_more": more, "after_cursor": after, "before_cursor": format!("b{offset}")},
            "links": {"next": if more { json!(format!("{PROD}/api/v2/satisfaction_ratings.json?page%5Bafter%5D={after}&page%5Bsize%5D=2&sort=created_at&start_time={start}")) } else { Value::Null },
                      "prev": null},
        }))
    }
}

fn query(req: &wiremock::Request) -> std::collections::HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

fn bad(what: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .set_body_json(json!({"error": "InvalidParameter", "description": what}))
}

/// A cursor export (`users`, `tickets`) as Zendesk answers it: from any `start_time`
/// (inclusive, by `updated_at`) or from a `cursor`, two a page, oldest update first; the
/// cursor names the position after the page's last record, so a read from any start ends
/// on the same cursor as a read from the beginning (as Zendesk's, which encode the last
/// record's update and id).
pub(super) struct CursorExport {
    pub(super) resource: &'static str,
    pub(super) key: &'static str,
    /// Sorted by `(updated_at, id)`.
    pub(super) records: Vec<Value>,
}

impl wiremock::Respond for CursorExport {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let q = query(req);
        let prefix = format!("{}-i", self.resource);
        let start = if let Some(c) = q.get("cursor") {
            match c
                .strip_prefix(&prefix)
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => n.min(self.records.len()),
                None => return bad("cursor is invalid"),
            }
        } else if let Some(st) = q.get("start_time").and_then(|s| s.parse::<i64>().ok()) {
            self.records
                .iter()
                .position(|r| unix(r["updated_at"].as_str().unwrap_or_default()) >= st)
                .unwrap_or(self.records.len())
        } else {
            return bad("start_time or cursor is required");
        };
        let end = (start + 2).min(self.records.len());
        let after = format!("{prefix}{end}");
        let p = format!("/api/v2/incremental/{}/cursor.json", self.resource);
        ok(json!({
            self.key: &self.records[start..end],
            "after_cursor": after,
            "after_url": format!("{PROD}{p}?cursor={after}"),
            "before_cursor": null, "before_url": null,
            "end_of_stream": end == self.records.len(),
        }))
    }
}

/// Export Search Results for tickets: the query's `status<solved` and `updated<{time}`
/// terms (the only ones this fake knows), `filter[type]=ticket`, ordered by `created_at`.
pub(super) struct SearchExport(pub(super) Vec<Value>);

impl wiremock::Respond for SearchExport {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let q = query(req);
        if q.get("filter[type]").map(String::as_str) != Some("ticket") {
            return bad("filter[type] must be ticket here");
        }
        let mut before = i64::MAX;
        let mut unsolved = false;
        for term in q
            .get("query")
            .map(String::as_str)
            .unwrap_or_default()
            .split_whitespace()
        {
            if term == "status<solved" {
                unsolved = true;
            } else if let Some(at) = term.strip_prefix("updated<") {
                before = unix(at);
            } else {
                return bad(&format!("this fake does not know the term {term}"));
            }
        }
        let size: usize = q
            .get("page[size]")
            .and_then(|s| s.parse().ok())
            .unwrap_or(100);
        let from: usize = q
            .get("page[after]")
            .and_then(|a| a.strip_prefix("search-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let open = ["new", "open", "pending", "hold"];
        let mut all: Vec<Value> = self
            .0
            .iter()
            .filter(|tk| !unsolved || open.contains(&tk["status"].as_str().unwrap_or_default()))
            .filter(|tk| unix(tk["updated_at"].as_str().unwrap_or_default()) < before)
            .map(|tk| {
                let mut r = tk.clone();
                r.as_object_mut().map(|o| o.remove("metric_set"));
                r["result_type"] = json!("ticket");
                r
            })
            .collect();
        all.sort_by_key(|tk| {
            (
                t(tk["created_at"].as_str().unwrap_or_default()),
                tk["id"].as_i64(),
            )
        });
        let page: Vec<Value> = all.iter().skip(from).take(size).cloned().collect();
        let end = from + page.len();
        let more = end < all.len();
        ok(json!({
            "results": page, "facets": null,
            "meta": {"has_more": more, "after_cursor": format!("search-{end}"), "before_cursor": null},
            "links": {"next": if more { json!(format!("{PROD}/api/v2/search/export.json?page%5Bafter%5D=search-{end}")) } else { Value::Null }, "prev": null},
        }))
    }
}
