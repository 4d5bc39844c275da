//! The Graph API's payloads (only the fields the model needs) and their mapping to records.
//!
//! Shapes from the Graph API reference and the reference notes (§1.5): a Page node carries
//! `followers_count` and `fan_count` (absent on New Pages Experience pages); lists carry
//! `data` and `paging` (`cursors.after`, `next`: an absolute URL with the token in it); a
//! post carries `id`, `created_time` and its `comments` edge; a comment `id`, `from.id`,
//! `created_time`, `is_hidden` and its replies as its own `comments` edge; a recommendation
//! `created_time`, `recommendation_type` (`positive`/`negative`), `reviewer.id` and
//! `open_graph_story` (`id`, and the comments on it). No `message` or `review_text` is ever
//! deserialized: no text is kept.
//!
//! Times, lists and paging are Graph's (the SDK's `meta_graph`).

use chrono::{DateTime, Utc};
use deskpulse_connector::Record;
use deskpulse_connector::meta_graph::{Edge, parse_time};
use deskpulse_model::{InteractionKind, SocialInteraction, SocialMetric, SocialStat};
use serde::Deserialize;

/// The `platform` of every record.
pub(crate) const PLATFORM: &str = "facebook_page";

fn time(raw: &str, what: &str) -> Result<DateTime<Utc>, String> {
    parse_time(raw).map_err(|e| format!("{what}: `created_time` {e}"))
}

/// `GET /{v}/{page-id}?fields=followers_count,fan_count`.
#[derive(Debug, Deserialize)]
pub(crate) struct PageNode {
    #[serde(default)]
    pub followers_count: Option<f64>,
    /// Likes; New Pages Experience pages have none (followers replace likes).
    #[serde(default)]
    pub fan_count: Option<f64>,
}

/// The page's counters observed at `now`: a figure the API does not give is left out,
/// never a made-up zero.
pub(crate) fn map_page(page_id: &str, p: &PageNode, now: DateTime<Utc>) -> Vec<Record> {
    [
        (SocialMetric::Followers, p.followers_count),
        (SocialMetric::Likes, p.fan_count),
    ]
    .into_iter()
    .filter_map(|(metric, v)| {
        v.filter(|v| v.is_finite() && *v >= 0.0).map(|value| {
            Record::SocialStat(SocialStat {
                platform: PLATFORM.into(),
                account: page_id.into(),
                metric,
                value,
                observed_at: now,
            })
        })
    })
    .collect()
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct From {
    #[serde(default)]
    pub id: Option<String>,
}

/// A post of the page, with its top-level comments.
#[derive(Debug, Deserialize)]
pub(crate) struct Post {
    pub id: String,
    #[serde(default)]
    pub comments: Option<Edge<Comment>>,
}

/// A comment, with its replies (`comments` on a comment).
#[derive(Debug, Deserialize)]
pub(crate) struct Comment {
    pub id: String,
    #[serde(default)]
    pub from: Option<From>,
    pub created_time: String,
    #[serde(default)]
    pub is_hidden: Option<bool>,
    #[serde(default)]
    pub comments: Option<Edge<Reply>>,
}

/// A reply to a comment, or a comment on a recommendation's story: who and when.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Reply {
    #[serde(default)]
    pub from: Option<From>,
    pub created_time: String,
}

impl From {
    fn is(from: &Option<From>, page_id: &str) -> bool {
        from.as_ref()
            .and_then(|f| f.id.as_deref())
            .is_some_and(|id| id == page_id)
    }
}

/// The earliest of `replies` written by the page itself; replies by anyone else are no
/// answer.
fn first_page_reply(
    replies: &[Reply],
    page_id: &str,
    what: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    let mut first: Option<DateTime<Utc>> = None;
    for r in replies.iter().filter(|r| From::is(&r.from, page_id)) {
        let at = time(&r.created_time, &format!("a reply to {what}"))?;
        first = Some(first.map_or(at, |f| f.min(at)));
    }
    Ok(first)
}

/// A comment on the page's post (its replies complete): an interaction, unless the page
/// wrote it itself.
pub(crate) fn map_comment(
    page_id: &str,
    c: &Comment,
    replies: &[Reply],
) -> Result<Option<Record>, String> {
    if From::is(&c.from, page_id) {
        return Ok(None);
    }
    if c.id.trim().is_empty() {
        return Err("a comment has an empty `id`".into());
    }
    let what = format!("comment {:?}", c.id);
    Ok(Some(Record::SocialInteraction(SocialInteraction {
        platform: PLATFORM.into(),
        account: page_id.into(),
        external_id: c.id.clone(),
        kind: InteractionKind::Comment,
        created_at: time(&c.created_time, &what)?,
        author_id: c.from.as_ref().and_then(|f| f.id.clone()),
        positive: None,
        replied_at: first_page_reply(replies, page_id, &what)?,
        deleted: c.is_hidden.unwrap_or(false),
    })))
}

/// An item of `GET /{page-id}/ratings`.
#[derive(Debug, Deserialize)]
pub(crate) struct Rating {
    pub created_time: String,
    #[serde(default)]
    pub recommendation_type: Option<String>,
    #[serde(default)]
    pub reviewer: Option<From>,
    #[serde(default)]
    pub open_graph_story: Option<Story>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Story {
    pub id: String,
    #[serde(default)]
    pub comments: Option<Edge<Reply>>,
}

impl Rating {
    /// The recommendation's id: its story's object id (the only stable id Facebook gives).
    /// Graph writes a story id as `{reviewer id}_{object id}`: only the object id is kept,
    /// so the reviewer's raw id never reaches the store through the record's key (storage
    /// keeps authors only as keyed hashes). An item without a story (created before about
    /// August 2018) gets `rating:{unix time}`, without the reviewer for the same reason (two
    /// such items in the same second would be one record).
    pub(crate) fn id(&self) -> Result<String, String> {
        if let Some(s) = self.open_graph_story.as_ref().filter(|s| !s.id.is_empty()) {
            let object = s.id.rsplit('_').next().unwrap_or(&s.id);
            if object.is_empty() {
                return Err(format!("`open_graph_story.id` {:?} has no object id", s.id));
            }
            return Ok(object.to_owned());
        }
        let at = time(&self.created_time, "a recommendation")?;
        Ok(format!("rating:{}", at.timestamp()))
    }
}

/// A recommendation (its story's comments complete).
pub(crate) fn map_rating(page_id: &str, r: &Rating, replies: &[Reply]) -> Result<Record, String> {
    let id = r.id()?;
    let what = format!("recommendation {id:?}");
    let positive = match r.recommendation_type.as_deref() {
        Some("positive") => Some(true),
        Some("negative") => Some(false),
        // A star rating from before August 2018 (no recommendation type): neither.
        None => None,
        Some(other) => {
            return Err(format!(
                "{what}: unknown `recommendation_type` {other:?} (expected `positive` or `negative`)"
            ));
        }
    };
    Ok(Record::SocialInteraction(SocialInteraction {
        platform: PLATFORM.into(),
        account: page_id.into(),
        kind: InteractionKind::Recommendation,
        created_at: time(&r.created_time, &what)?,
        author_id: r.reviewer.as_ref().and_then(|f| f.id.clone()),
        positive,
        replied_at: first_page_reply(replies, page_id, &what)?,
        deleted: false,
        external_id: id,
    }))
}
