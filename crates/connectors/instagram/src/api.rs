//! The Graph API's Instagram payloads (only the fields the model needs: never a comment's
//! `text`, which is not even asked for) and their mapping to records.
//!
//! Times, lists and paging are Graph's (the SDK's `meta_graph`).

use chrono::{DateTime, Utc};
use deskpulse_connector::meta_graph::{self, List};
use deskpulse_connector::prelude::*;
use serde::Deserialize;

/// The platform name in every record.
pub(crate) const PLATFORM: &str = "instagram";

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
// media and comments

/// An item of `GET /{ig-user-id}/media?fields=id,timestamp,comments_count,username`.
#[derive(Debug, Deserialize)]
pub struct Medium {
    pub id: String,
    #[serde(deserialize_with = "meta_graph::time")]
    pub timestamp: DateTime<Utc>,
    /// Comments and replies on it; `0` = no comments request.
    #[serde(default)]
    pub comments_count: Option<u64>,
    /// The owner's username: the brand's own, on its own media.
    #[serde(default)]
    pub username: Option<String>,
}

/// An IG Comment: who (`from` = the commenter's Instagram-scoped id and username;
/// `username`; `user` = the IG user id, only on comments the app user made), when,
/// whether hidden, and its replies.
#[derive(Debug, Deserialize)]
pub struct Comment {
    pub id: String,
    #[serde(deserialize_with = "meta_graph::time")]
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub from: Option<Author>,
    #[serde(default)]
    pub user: Option<UserRef>,
    #[serde(default)]
    pub hidden: Option<bool>,
    /// `GET /{ig-media-id}/comments` gives the top-level comments with their nested
    /// `replies`; `GET /{ig-comment-id}/replies` the rest of them.
    #[serde(default)]
    pub replies: Option<List<Comment>>,
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
