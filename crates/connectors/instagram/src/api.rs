//! The Graph API's Instagram payloads (only the fields the model needs: never a comment's
//! `text`, which is not even asked for) and their mapping to records.
//!
//! Times: Meta writes `2024-07-23T12:01:44+0000` (an offset without a colon, not RFC 3339);
//! RFC 3339 is accepted too.

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Deserializer};

/// The platform name in every record.
pub(crate) const PLATFORM: &str = "instagram";

/// A Graph time: Meta's `+0000` form or RFC 3339.
pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s:?} is not a Graph API time (such as 2024-07-23T12:01:44+0000)"))
}

fn graph_time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_time(&s).map_err(serde::de::Error::custom)
}

// ---------------------------------------------------------------------------------------
// the account

/// `GET /{ig-user-id}?fields=followers_count,follows_count,media_count,username`.
#[derive(Debug, Deserialize)]
pub struct IgUser {
    #[serde(default)]
    pub followers_count: Option<f64>,
}

/// The account as the docs show it (the object itself), or wrapped in `data` as airbyte's
/// recorded mock (`users.json`) has it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AccountPage {
    Wrapped { data: Vec<IgUser> },
    Plain(IgUser),
}

impl AccountPage {
    /// The one user the page holds.
    pub(crate) fn user(self) -> Result<IgUser, String> {
        match self {
            AccountPage::Plain(u) => Ok(u),
            AccountPage::Wrapped { mut data } if data.len() == 1 => Ok(data.remove(0)),
            AccountPage::Wrapped { data } => Err(format!(
                "expected the one account in `data`, got {} entries",
                data.len()
            )),
        }
    }
}

/// The account's counter: followers. `follows_count` (accounts it follows) and
/// `media_count` (its own posts) are not something customers do, so no metric takes them.
pub(crate) fn map_account(
    account: &str,
    user: IgUser,
    now: DateTime<Utc>,
) -> Result<Vec<Record>, String> {
    let followers = user.followers_count.ok_or(
        "the account has no `followers_count` (is it a professional account, and does the token have instagram_basic?)",
    )?;
    Ok(vec![Record::SocialStat(SocialStat {
        platform: PLATFORM.into(),
        account: account.into(),
        metric: SocialMetric::Followers,
        value: followers,
        observed_at: now,
    })])
}

// ---------------------------------------------------------------------------------------
// paging

/// Graph's `paging`: `cursors.after` and, only when there is a next page, `next`.
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
    /// The next page's `after` cursor, or `None` at the end (no `next` link). The cursor is
    /// `cursors.after`, else the `after` of the `next` link (whose host, version and
    /// `access_token` are the vendor's: only the cursor is kept).
    pub(crate) fn next_after(&self) -> Result<Option<String>, String> {
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

// ---------------------------------------------------------------------------------------
// media and comments

/// `GET /{ig-user-id}/media?fields=id,timestamp,comments_count,username`.
#[derive(Debug, Deserialize)]
pub struct MediaPage {
    pub data: Vec<Medium>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct Medium {
    pub id: String,
    #[serde(deserialize_with = "graph_time")]
    pub timestamp: DateTime<Utc>,
    /// Comments and replies on it; `0` = no comments request.
    #[serde(default)]
    pub comments_count: Option<u64>,
    /// The owner's username: the brand's own, on its own media.
    #[serde(default)]
    pub username: Option<String>,
}

/// `GET /{ig-media-id}/comments` (top-level comments with their nested `replies`) and
/// `GET /{ig-comment-id}/replies`.
#[derive(Debug, Deserialize)]
pub struct CommentsPage {
    pub data: Vec<Comment>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// An IG Comment: who (`from` = the commenter's Instagram-scoped id and username;
/// `username`; `user` = the IG user id, only on comments the app user made), when,
/// whether hidden, and its replies.
#[derive(Debug, Deserialize)]
pub struct Comment {
    pub id: String,
    #[serde(deserialize_with = "graph_time")]
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub from: Option<Author>,
    #[serde(default)]
    pub user: Option<UserRef>,
    #[serde(default)]
    pub hidden: Option<bool>,
    #[serde(default)]
    pub replies: Option<CommentsPage>,
}

#[derive(Debug, Deserialize)]
pub struct Author {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// `user`: an object with the id, or the bare id.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum UserRef {
    Object { id: String },
    Id(String),
}

/// Who the brand account is, as comments may name it.
pub(crate) struct Brand<'a> {
    pub ig_user_id: &'a str,
    /// From the media list (`username` of its own media), when Instagram gave it.
    pub username: Option<&'a str>,
}

impl Brand<'_> {
    /// Whether the brand wrote `c`: its IG user id in `user` (given only for the app user's
    /// comments) or `from.id`, or its username where the comment carries one (a reply may
    /// carry only `username`, as in the documented example).
    pub(crate) fn wrote(&self, c: &Comment) -> bool {
        let user = c.user.as_ref().map(|u| match u {
            UserRef::Object { id } | UserRef::Id(id) => id.as_str(),
        });
        let from_id = c.from.as_ref().and_then(|f| f.id.as_deref());
        if user == Some(self.ig_user_id) || from_id == Some(self.ig_user_id) {
            return true;
        }
        let Some(brand) = self.username.filter(|u| !u.is_empty()) else {
            return false;
        };
        // Instagram usernames are unique and case-insensitive.
        [
            c.username.as_deref(),
            c.from.as_ref().and_then(|f| f.username.as_deref()),
        ]
        .into_iter()
        .flatten()
        .any(|u| u.eq_ignore_ascii_case(brand))
    }
}

/// A customer's top-level comment and the brand's first reply among `replies` (all of
/// them, the nested page and any further pages); `None` for the brand's own comment.
pub(crate) fn map_comment(
    brand: &Brand<'_>,
    c: &Comment,
    replies: &[Comment],
) -> Option<SocialInteraction> {
    if brand.wrote(c) {
        return None;
    }
    let replied_at = replies
        .iter()
        .filter(|r| brand.wrote(r))
        .map(|r| r.timestamp)
        .min();
    Some(SocialInteraction {
        platform: PLATFORM.into(),
        account: brand.ig_user_id.into(),
        external_id: c.id.clone(),
        kind: InteractionKind::Comment,
        created_at: c.timestamp,
        author_id: c.from.as_ref().and_then(|f| f.id.clone()),
        positive: None,
        replied_at,
        // Hidden comments are out of public view: they count nowhere.
        deleted: c.hidden.unwrap_or(false),
    })
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
    fn the_brand_by_username_ignores_case_and_never_matches_without_one() {
        let c: Comment = serde_json::from_value(serde_json::json!({
            "id": "1", "timestamp": "2024-07-23T12:01:44+0000", "username": "ExampleOutdoor",
        }))
        .unwrap();
        let brand = |username| Brand {
            ig_user_id: "178",
            username,
        };
        assert!(brand(Some("exampleoutdoor")).wrote(&c));
        assert!(!brand(None).wrote(&c));
        assert!(!brand(Some("")).wrote(&c));
        let bare: UserRef = serde_json::from_value(serde_json::json!("178")).unwrap();
        let c = Comment {
            user: Some(bare),
            username: None,
            ..c
        };
        assert!(brand(None).wrote(&c));
    }
}
