//! X API v2 payloads (only the fields the model needs) and their mapping to records.
//!
//! Shapes from docs.x.com (user object with `public_metrics`, post object with
//! `created_at`, `author_id`, `conversation_id`, `referenced_tweets`, the default
//! `edit_history_tweet_ids`; a timeline page's `meta.{result_count,next_token}`) and tweepy's
//! recorded responses (see `tests/fixtures/PROVENANCE.md`). X leaves `data` out of a page
//! with no results (`{"meta":{"result_count":0}}`), so `data` may be absent only then. Post
//! texts are never deserialized.

use chrono::{DateTime, Utc};
use deskpulse_connector::{ConnectorError, Record};
use deskpulse_model::{InteractionKind, SocialInteraction, SocialMetric, SocialStat};
use serde::Deserialize;
use std::collections::HashMap;

/// The `platform` of every record.
pub(crate) const PLATFORM: &str = "x";

/// `GET /2/users/{id}`: `data`, or (HTTP 200) only `errors` when X does not know the id or
/// the account is suspended.
#[derive(Debug, Deserialize)]
pub(crate) struct UserPage {
    #[serde(default)]
    pub data: Option<User>,
    #[serde(default)]
    pub errors: Option<Vec<Problem>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct User {
    pub id: String,
    #[serde(default)]
    pub public_metrics: Option<PublicMetrics>,
}

/// The account's counters. Only `followers_count` is read: `like_count` counts the posts the
/// account liked (not likes it received), and `following_count`, `tweet_count`,
/// `listed_count`, `media_count` are not among the model's metrics.
#[derive(Debug, Deserialize)]
pub(crate) struct PublicMetrics {
    #[serde(default)]
    pub followers_count: Option<u64>,
}

/// One entry of X's `errors` (partial errors on a 200) or a problem body.
#[derive(Debug, Deserialize)]
pub(crate) struct Problem {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// The followers snapshot of `GET /2/users/{id}`, observed at `now`.
pub(crate) fn map_user(
    account: &str,
    page: UserPage,
    now: DateTime<Utc>,
) -> Result<Record, String> {
    let user = match page.data {
        Some(u) => u,
        None => {
            let why = page
                .errors
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.detail.or(p.title))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(format!(
                "X gives no user for `user_id` {account:?} ({}): check `user_id` (the account's numeric id; a suspended or deleted account has none)",
                if why.is_empty() {
                    "no `data`"
                } else {
                    why.as_str()
                }
            ));
        }
    };
    if user.id != account {
        return Err(format!(
            "asked for user {account:?}, X answered with user {:?}",
            user.id
        ));
    }
    let followers = user
        .public_metrics
        .and_then(|m| m.followers_count)
        .ok_or_else(|| {
            format!("user {account:?} has no `public_metrics.followers_count` (asked with `user.fields=public_metrics`)")
        })?;
    Ok(Record::SocialStat(SocialStat {
        platform: PLATFORM.into(),
        account: account.into(),
        metric: SocialMetric::Followers,
        value: followers as f64,
        observed_at: now,
    }))
}

/// A page of `GET /2/users/{id}/mentions` or `/tweets`.
#[derive(Debug, Deserialize)]
pub(crate) struct TimelinePage {
    #[serde(default)]
    pub data: Option<Vec<Post>>,
    pub meta: Meta,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Meta {
    pub result_count: u64,
    #[serde(default)]
    pub next_token: Option<String>,
}

impl TimelinePage {
    /// The posts and the next page's token; `data` absent is an empty page only when X says
    /// `result_count: 0`.
    pub(crate) fn split(self) -> Result<(Vec<Post>, Option<String>), String> {
        match self.data {
            Some(posts) => Ok((posts, self.meta.next_token)),
            None if self.meta.result_count == 0 => Ok((Vec::new(), self.meta.next_token)),
            None => Err(format!(
                "the page has no `data` although `meta.result_count` is {}",
                self.meta.result_count
            )),
        }
    }
}

/// A post, with the fields asked for in `tweet.fields` (the text is never read).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Post {
    pub id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub author_id: Option<String>,
    /// Every version's id, oldest first (X's edit metadata; one id when never edited).
    #[serde(default)]
    pub edit_history_tweet_ids: Vec<String>,
    #[serde(default)]
    pub referenced_tweets: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl Post {
    /// `created_at`, required (it is asked for in `tweet.fields`).
    pub(crate) fn created(&self) -> Result<DateTime<Utc>, String> {
        let raw = self.created_at.as_deref().ok_or_else(|| {
            format!(
                "post {:?} has no `created_at` (asked for in `tweet.fields`)",
                self.id
            )
        })?;
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                format!(
                    "post {:?}: `created_at` {raw:?} is not an RFC 3339 time",
                    self.id
                )
            })
    }

    /// The id the mention is kept under: the first version's, so an edit (a new id) updates
    /// the same record instead of adding one.
    pub(crate) fn original_id(&self) -> &str {
        self.edit_history_tweet_ids
            .first()
            .map_or(self.id.as_str(), String::as_str)
    }

    /// Every id this post was published under (a reply may point at any version).
    fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.edit_history_tweet_ids.iter().map(String::as_str))
    }

    fn is_retweet(&self) -> bool {
        self.referenced_tweets.iter().any(|r| r.kind == "retweeted")
    }
}

/// The brand's first reply to each post it answered: replied-to post id → the earliest
/// `created_at` of a brand post with `referenced_tweets` `{type: "replied_to", id}`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Replies(HashMap<String, DateTime<Utc>>);

impl Replies {
    /// Adds the brand's posts of one timeline page.
    pub(crate) fn add(&mut self, posts: &[Post]) -> Result<(), String> {
        for p in posts {
            let at = p.created()?;
            for r in p
                .referenced_tweets
                .iter()
                .filter(|r| r.kind == "replied_to")
            {
                let e = self.0.entry(r.id.clone()).or_insert(at);
                if at < *e {
                    *e = at;
                }
            }
        }
        Ok(())
    }

    /// The brand's first reply to `post` (any of its versions).
    fn first_to(&self, post: &Post) -> Option<DateTime<Utc>> {
        post.ids().filter_map(|id| self.0.get(id)).min().copied()
    }
}

/// One mention as the model keeps it; `None` for the brand's own posts and for retweets
/// (a retweet repeats a post, it asks nothing).
pub(crate) fn map_mention(
    account: &str,
    post: &Post,
    replies: &Replies,
) -> Result<Option<Record>, String> {
    let author = post.author_id.as_deref().ok_or_else(|| {
        format!(
            "post {:?} has no `author_id` (asked for in `tweet.fields`)",
            post.id
        )
    })?;
    if author == account || post.is_retweet() {
        return Ok(None);
    }
    let created_at = post.created()?;
    Ok(Some(Record::SocialInteraction(SocialInteraction {
        platform: PLATFORM.into(),
        account: account.into(),
        external_id: post.original_id().to_owned(),
        kind: InteractionKind::Mention,
        created_at,
        author_id: Some(author.to_owned()),
        positive: None,
        // A reply listed before the mention itself is X's clock or an edit: never negative.
        replied_at: replies.first_to(post).map(|r| r.max(created_at)),
        // X lists no deleted posts: see `deleted_mention` for one that disappears.
        deleted: false,
    })))
}

/// A mention the last pass read and X no longer lists: deleted (or its author's account
/// protected or suspended). Only its id and time are known (the checkpoint keeps no author).
pub(crate) fn deleted_mention(account: &str, id: &str, created_at: DateTime<Utc>) -> Record {
    Record::SocialInteraction(SocialInteraction {
        platform: PLATFORM.into(),
        account: account.into(),
        external_id: id.to_owned(),
        kind: InteractionKind::Mention,
        created_at,
        author_id: None,
        positive: None,
        replied_at: None,
        deleted: true,
    })
}

/// X's problem JSON for an exhausted monthly usage cap (HTTP 429, `title`
/// `UsageCapExceeded`, `type` `…/2/problems/usage-capped`, `period` `Monthly`: xdevplatform/xdk
/// issue 25 quotes one), turned into an error that says what it is and what to do. Any other
/// error passes unchanged.
pub(crate) fn explain_usage_cap(err: ConnectorError) -> ConnectorError {
    match err {
        ConnectorError::Http {
            status,
            endpoint,
            attempts,
            detail,
        } if status == 429
            && (detail.contains("UsageCapExceeded") || detail.contains("usage-capped")) =>
        {
            ConnectorError::Http {
                status,
                endpoint,
                attempts,
                detail: format!(
                    "X's usage cap for the project of this source's `bearer_token` is exhausted (UsageCapExceeded): the cap resets \
                     monthly, at the start of the project's next billing cycle (developer console → Usage). Nothing read so far \
                     is lost: the next sync resumes from the last committed page. Raise the cap, or lower the reads (a larger \
                     `max_results` costs no more posts, a smaller `rescan_days` does read fewer). X said: {detail}"
                ),
            }
        }
        other => other,
    }
}
