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
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
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
