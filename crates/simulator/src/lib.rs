//! deskpulse-simulator: a local fake of Zendesk Support that speaks the real API, with data
//! generated from a seed, ground truth recorded while generating (Zendesk's own per-ticket
//! metric values included, with why each differs from deskpulse's), the vendor's rate
//! limits, and fault injection. It also serves the same business's public reviews as
//! Trustpilot and Google Business Profile do, and its Facebook Page and X account as the
//! Graph API and X API v2 do, each with their ground truth.
//!
//! # What it covers
//! * `GET /api/v2/incremental/users/cursor.json` and `/api/v2/incremental/tickets/cursor.json`:
//!   cursor exports (`start_time` then `cursor`, `per_page` ≤ 1000, `include=metric_sets`,
//!   `exclude_deleted=true`, `support_type_scope` on tickets), ordered by `(updated_at, id)`.
//!   A page carries exactly the documented paging fields, `after_cursor`, `after_url`,
//!   `before_cursor`, `before_url` and `end_of_stream` (Zendesk's OpenAPI schema
//!   `CursorBasedExportIncrementalTicketsResponse`; no `count`). Deleted and spam tickets show
//!   as `status: "deleted"`; merged tickets are `closed` with tag `closed_by_merge`.
//! * `metric_set` (with `include=metric_sets`): every field of the Ticket Metrics object
//!   (developer.zendesk.com/rest_api/docs/core/ticket_metrics: `url`, `id`, `ticket_id`,
//!   the stations, `reopens`, `replies`, the `*_at` times, the six `*_in_minutes` durations as
//!   `{calendar, business}`, `custom_status_updated_at`, `created_at`, `updated_at`). The
//!   values are computed by **Zendesk's** definitions, not deskpulse's, and recorded in the
//!   ground truth ([`TrueTicket::vendor`]); the rules and sources are on
//!   [`ZendeskMetrics::from_history`]. In short: first reply time ends at the first public
//!   comment by an agent user after the opening comment (an agent-opened ticket's own public
//!   opening does not count); a trigger's comment is attributed to the assignee, or to the
//!   system user `-1` on an unassigned ticket ("comments and notes added by triggers appear as
//!   if added by the current assignee; if the ticket is unassigned they are attributed to the
//!   system user", support.zendesk.com/hc/zh-cn/articles/6191477770906), and counts as an
//!   agent's reply only in the first case; private comments never count; first and full
//!   resolution end at the first and latest solve, and closing an unsolved ticket (a merge)
//!   counts as one ("About native Support time duration metrics",
//!   support.zendesk.com/hc/en-us/articles/4408834848154); minutes are whole, rounded down
//!   (Zendesk does not document its rounding). Business values are computed on
//!   [`DataConfig::business_hours`] (default Monday to Friday, 09:00–17:00 UTC, no holidays;
//!   `None` serves `null`). [`TrueTicket::vendor_differences`] lists each value that differs
//!   from deskpulse's definitions ([`TrueTicket::deskpulse_values`], which the tests check
//!   against the metrics crate) with its [`DifferenceReason`].
//! * `GET /api/v2/incremental/ticket_events.json?start_time=…&include=comment_events`:
//!   time-based export of audits, in the **export's own layout**, which is not the audits
//!   API's (`{"type":"Change","field_name":"status","value":…}`):
//!   - a parent is `{id, ticket_id, timestamp, created_at, updater_id, via, via_reference_id,
//!     event_type: "Audit", child_events}` with `via` a **string** (`"Web form"`, `"Mail"`,
//!     `"Rule"`, `"Merge"`, …), as in Zendesk's documented example and Airbyte's template of
//!     it (airbytehq/airbyte `source-zendesk-support/unit_tests/resource/http/response/
//!     ticket_events.json`);
//!   - a status child carries the changed field as its own key, as recorded from a real
//!     export (aladingg/zendesk-java-client `src/main/java/org/zendesk/client/v2/model/
//!     ChildEvent.java`, commit a409360):
//!     `{"id": 1561823056871, "via": "Web form", "via_reference_id": null, "status": "solved",
//!     "event_type": "Change", "previous_value": "open"}`; a `Create` child is the same
//!     without `previous_value`. Its `via` is the audit's, a string, as recorded;
//!   - with `include=comment_events`, a comment child is the API reference's example
//!     field for field: `{"id", "via": {"channel", "source": {"from", "to", "rel"}},
//!     "via_reference_id": null, "type": "Comment", "author_id", "body", "html_body",
//!     "public", "attachments", "audit_id", "created_at", "event_type": "Comment"}` (its
//!     `via` an **object**: `rule` with `source.rel: "trigger"` for a trigger's reply);
//!   - without the sideload, "any comment present in the ticket update is described only by
//!     Boolean `comment_present` and `comment_public` object properties in the event's
//!     `child_events` array": a child `{id, via, via_reference_id, comment_present: true,
//!     comment_public, event_type: "Comment"}` (the `event_type` of that child is not
//!     documented; the simulator's choice).
//!
//!   Ids come from one account-wide sequence in time order, an audit's just before its
//!   children's, as Zendesk draws them at write time (go-zendesk's recorded audit 2127301143
//!   has the children 2127301148 and 2127301163): ids ascend with the export's order across
//!   tickets (`event_ids`).
//!
//!   Paging: `count`, `end_time`, `next_page` on the simulator's own base URL (keeping
//!   `include`, `per_page`, `support_type_scope`), `end_of_stream`. As on Zendesk, the next
//!   page starts at `end_time`, so the audits of the boundary second are served again (exact
//!   copies). When a whole page shares one timestamp, the page grows to the end of that
//!   second and `end_time` moves one second past it, so paging always advances.
//! * `support_type_scope=all|agent|ai_agent` (default `agent`) on the tickets and ticket
//!   events exports, as documented for both (Incremental Ticket Export / Incremental Ticket
//!   Event Export reference): the account's tickets are all agent-handled, so `all` and
//!   `agent` serve everything and `ai_agent` an empty stream; any other value is a 400.
//! * `GET /api/v2/satisfaction_ratings.json` (and without `.json`): `start_time` (on
//!   `created_at`), `sort=created_at`, cursor pagination with `page[size]` ≤ 100,
//!   `page[after]`, `page[before]`, `meta{has_more, after_cursor, before_cursor}`,
//!   `links{next, prev}`. A record is created when the survey is offered (`score:
//!   "offered"`) and updated when answered: `created_at` is the offer time, `updated_at` the
//!   answer time (the offer time while unanswered), as in the API reference's example
//!   (`"created_at": "2012-02-01T04:31:29Z", "updated_at": "2012-02-02T10:32:59Z"`). So
//!   `start_time` and the sort follow the offer, and an answer to a survey offered before a
//!   bookmark is not found by paging from that bookmark.
//! * What a windowed first sync reads beside the exports (details and sources in the
//!   server's `zendesk_lists` module), also without `.json`:
//!   `GET /api/v2/search/export.json` (Export Search Results): `filter[type]=ticket` only
//!   (required; the other types are a 400), `query` of space-separated terms that must all
//!   hold, `status<X`, `status>X`, `status:X` (new < open < pending < hold < solved <
//!   closed) and `updated<T`, `updated>T`, `created<T`, `created>T` (T a date, midnight
//!   UTC, or an RFC 3339 date-time); `type:…` in the query, or any other term, is a 400.
//!   Deleted tickets never match. Ordered by `(created_at, id)`, `page[size]` ≤ 1000,
//!   `page[after]`; `{results (each with "result_type": "ticket"), facets: null,
//!   links{next, prev: null}, meta{has_more, after_cursor, before_cursor: null}}`.
//! * Auth: `Basic base64("{email}/token:{token}")` or `Bearer {token}`, else 401
//!   `{"error":"Couldn't authenticate you"}`.
//! * Rate limits as Zendesk documents them (developer.zendesk.com, "Rate limits", "Best
//!   practices for avoiding rate limiting", the Incremental Exports reference): fixed
//!   minutes, shortened by the speed factor and following each other from the simulator's
//!   start (where Zendesk's begin is not documented): 10 requests a minute on the
//!   incremental exports, [`Limits::search_export_per_minute`] (100, "rate-limited to 100
//!   requests per minute per account") on the search export, `requests_per_minute` (700) on
//!   everything together (the exports and the search export count there too).
//!   `X-Rate-Limit` / `X-Rate-Limit-Remaining` (the account's minute) on every answer; the
//!   list endpoints (ratings, the search export) also `ratelimit-limit`,
//!   `ratelimit-remaining` and `ratelimit-reset` (whole seconds until the minute ends,
//!   rounded up); the exports no header of their own. Over a limit: 429 with `Retry-After` (seconds until the full
//!   minute ends, rounded up, at least 1); a refused request is not counted.
//! * Faults from the seed: 500/503, slow answers, dropped connections, truncated bodies,
//!   records repeated across pages.
//!
//! * Data: [`Dataset::generate`] builds the account from `seed` and [`DataConfig`] (arrivals
//!   by weekday and hour, log-normal reply delays, runs of customer messages, internal notes,
//!   reopens, routing that assigns some tickets on arrival, trigger replies (the assignee's or
//!   the system user's) and automation solves, outbound, deleted, spam and merged tickets,
//!   CSAT answers and unanswered surveys) and records [`GroundTruth`] as it goes. Records are
//!   kept compact and pre-sorted per endpoint; a page is a slice serialized on demand
//!   (100,000 tickets with ~590,000 comments take ~190 MB with their ground truth, and page
//!   at tens of thousands of tickets a second).
//! * The `deskpulse-simulator` binary serves an account out of process (for benchmarks that
//!   must not count the simulator's memory) and prints its base URL as JSON (with the review
//!   sources' URLs and credentials).
//!
//! ## Reviews: Trustpilot and Google Business Profile
//! Shapes from the vendors' documentation (reference notes `review-social-apis.md` §1.1 and
//! §1.2, and the payloads written from the docs in `fixtures/reviews_social/trustpilot/` and
//! `fixtures/reviews_social/google_business_profile/`); details and sources on each route in
//! the server's `reviews` module.
//! * Trustpilot, Business Units API (developers.trustpilot.com/business-units-api-(public)),
//!   a source's `base_url` being `{sim}/v1`:
//!   - `GET /v1/business-units/{businessUnitId}`: `links`, `id`, `displayName`, `name`,
//!     `websiteUrl`, `country`, `numberOfReviews{total, usedForTrustScoreCalculation,
//!     oneStar, twoStars, threeStars, fourStars, fiveStars}`, `status`, `score{trustScore,
//!     stars}`, `badFit` (`constructed_business_unit.json`). `trustScore` is the Bayesian
//!     average Trustpilot describes (7 reviews of 3.5 added; not time-weighted here), `stars`
//!     that rounded to a half ([`TrustpilotAggregate`]).
//!   - `GET /v1/business-units/{businessUnitId}/reviews`: `page` (from 1), `perPage` (1 to
//!     100, default 20; 400 outside), `orderBy` (`createdat.desc` by default,
//!     `createdat.asc`, `stars.asc`, `stars.desc`), `stars` and `language` filters; body
//!     `{"links": [next-page link on the simulator], "reviews": […]}`, a page past the end
//!     `reviews: []`. A review is the documented public one (`constructed_public_reviews_
//!     page.json`): `id`, `consumer{id, displayName, displayLocation, numberOfReviews}`,
//!     `businessUnit{id, identifyingName, displayName}`, `stars`, `title`, `text`,
//!     `language`, `location`, `createdAt`, `experiencedAt`, `updatedAt` (the author's edit,
//!     or `null`), `companyReply` (`null` or `{text, createdAt, updatedAt}`: first
//!     publication and last edit), `isVerified`, `numberOfLikes`, `status`,
//!     `countsTowardsTrustScore`. Times RFC 3339 in whole seconds with `Z`.
//!   - Auth: header `apikey` (or query `apikey`) equal to
//!     [`Credentials::trustpilot_api_key`], else 401 with Apigee's VerifyAPIKey fault; an
//!     unknown business unit is 404. Limit: [`Limits::trustpilot_per_5_minutes`] (833 per 5
//!     minutes, Trustpilot's guidance), 429 with Apigee's quota fault, no `Retry-After`.
//! * Google Business Profile, My Business API v4
//!   (developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/list),
//!   a source's `base_url` being `{sim}` and its `token_url` `{sim}/token`:
//!   - `POST /token`: OAuth 2.0 refresh (form `grant_type=refresh_token`, `client_id`,
//!     `client_secret` or HTTP Basic, `refresh_token`) → `{"access_token", "expires_in":
//!     3599, "scope": "https://www.googleapis.com/auth/business.manage", "token_type":
//!     "Bearer"}`; a wrong refresh token is 400 `{"error": "invalid_grant", …}`, an unknown
//!     client or wrong secret 401 `invalid_client`, another grant 400
//!     `unsupported_grant_type`.
//!   - `GET /v4/accounts/{accountId}/locations/{locationId}/reviews`: `pageSize` (1 to 50,
//!     default 50; 0 is unset as in proto3; 400 `INVALID_ARGUMENT` outside), `pageToken`
//!     (opaque, tied to the order; 400 otherwise), `orderBy` (`updateTime desc` by default,
//!     `rating`, `rating desc`); body `{"reviews", "averageRating", "totalReviewCount",
//!     "nextPageToken"}` (no `nextPageToken` on the last page; a location without reviews
//!     is `{}`, proto3 leaving defaults out). A review is `{name: "accounts/{a}/locations/
//!     {l}/reviews/{reviewId}", reviewId, reviewer{profilePhotoUrl, displayName,
//!     isAnonymous} (an anonymous one has no photo and "A Google user"), starRating: "ONE"…
//!     "FIVE", comment (absent on rating-only reviews), createTime, updateTime,
//!     reviewReply{comment, updateTime} (absent when unanswered)}`
//!     (`constructed_reviews_list.json`). `updateTime` is the author's last edit (else
//!     `createTime`; a reply does not move it), `reviewReply.updateTime` the reply's **last**
//!     edit, the only time Google gives. Times RFC 3339 with milliseconds when there are
//!     any.
//!   - Auth: `Authorization: Bearer` with a token `/token` issued, else 401 with Google's
//!     `{"error": {"code": 401, "message": "Request had invalid authentication credentials.
//!     …", "status": "UNAUTHENTICATED"}}` and `WWW-Authenticate`; another account or
//!     location is 404 `NOT_FOUND`. Limit: [`Limits::google_per_minute`] (300, GBP's default
//!     quota) on the token and the list together, 429 `RESOURCE_EXHAUSTED`.
//! * Faults (server errors in each vendor's error shape, drops, truncation, slow answers,
//!   records repeated at the start of a page) apply as on Zendesk; the Zendesk rate limits
//!   and `X-Rate-Limit` headers do not.
//! * Data ([`ReviewsConfig`], `DataConfig::reviews`): over the same `days` before `now`, from
//!   the seed but on their own random streams (the Zendesk account is the same with or
//!   without reviews), Poisson arrivals (3 Trustpilot and 2 Google reviews a day by
//!   default; 0 disables a platform), stars 15/10/10/20/45 % for 1★ to 5★, a business reply
//!   to 85 % of negative, 60 % of 3★ and 35 % of positive reviews after a log-normal delay
//!   (median 18 h) unless it would come after `now`, 20 % of replies edited later, 5 % of
//!   reviews edited by their author, 15 % of Google reviews rating-only. 8 % of reviews carry
//!   a string of [`HOSTILE_STRINGS`] (HTML, Slack mrkdwn mentions and links, U+202E,
//!   U+200B, emoji) in their title, text and sometimes author name; 0.5 % a text of
//!   [`HUGE_TEXT_BYTES`].
//! * Ground truth: [`GroundTruth::reviews`] ([`TrueReview`]: platform, id, stars, creation,
//!   the author's edit, the reply's first publication and last edit),
//!   [`GroundTruth::trustpilot_aggregate`] and [`GroundTruth::google_aggregate`] (what the
//!   endpoints serve), and [`GroundTruth::review_kpis`] (n, mean rating, distribution,
//!   share negative (≤ 2★), share answered as of `now`, median reply time) for the reviews
//!   of one platform or both created in `[start, end)`. The reply time is measured to
//!   Trustpilot's first publication (`companyReply.createdAt`) but to Google's
//!   `reviewReply.updateTime`, the last edit, since that is all Google's API gives
//!   ([`TrueReview::reply_served_at`]).
//!
//! ## Social: Facebook Page and X
//! Shapes from the vendors' documentation (reference notes `review-social-apis.md` §1.5 and
//! §1.7, the payloads in `fixtures/reviews_social/facebook_pages/`, X's post and user objects
//! on docs.x.com and tweepy's recorded cassettes); details and sources on each route in the
//! server's `facebook` and `x` modules. Both sources' `base_url` is the simulator's root
//! ([`RunningSimulator::facebook_base_url`], [`RunningSimulator::x_base_url`]).
//! * Facebook Graph API under any `/v{N}.{M}` (the reference cites `v21.0`), token
//!   [`Credentials::facebook_page_token`] as `access_token` or `Authorization: Bearer`:
//!   - `GET /{v}/{page_id}?fields=…`: only the fields asked (`followers_count`, `fan_count`,
//!     `name`, `overall_star_rating`, `rating_count`, `link`, `category`) and `id`;
//!   - `GET /{v}/{page_id}/posts` (`/feed`, `/published_posts`): newest first, `since` /
//!     `until` (unix or a date), `limit` (25, ≤ 100), cursor paging (`paging.cursors.{before,
//!     after}`, `previous`, `next` on the simulator), field expansion with nested objects
//!     (`from{id}`) and nested edges (`comments.limit(n).order(…){…comments{…}}`, each with
//!     its own paging; empty edges left out);
//!   - `GET /{v}/{post|comment|story id}/comments` (chronological, `order=
//!     reverse_chronological`) and `GET /{v}/{node id}`;
//!   - `GET /{v}/{page_id}/ratings`: `created_time`, `recommendation_type`, `review_text`,
//!     `has_rating`, `has_review`, `reviewer{id,name}`, `open_graph_story{id,start_time,
//!     comments{…}}`, newest first;
//!   - Graph's error objects (code 104 without a token, 190 for a wrong one, 100 for bad
//!     fields or parameters, 100/33 for an unknown id, 2500 for an unknown edge; HTTP 400),
//!     [`Limits::facebook_per_hour`] with Graph's Pages throttling error 80001 and an
//!     `X-Business-Use-Case-Usage` header on every answer.
//! * X API v2 under `/2`, `Authorization: Bearer` [`Credentials::x_bearer_token`] (else
//!   X's 401 problem JSON):
//!   - `GET /2/users/{id}` (`user.fields=public_metrics` → `followers_count`, …);
//!   - `GET /2/users/{id}/mentions`: newest first, only the 800 most recent, `max_results`
//!     5–100 (10), `pagination_token`, `since_id`, `until_id`, `start_time`, `end_time`,
//!     `tweet.fields` (`created_at` `…000Z`, `author_id`, `conversation_id`,
//!     `referenced_tweets`, `in_reply_to_user_id`, …), `expansions=author_id`; `meta{
//!     result_count, newest_id, oldest_id, next_token}`; X's invalid-request 400s;
//!   - `GET /2/users/{id}/tweets`: the brand's posts and replies (`referenced_tweets:
//!     [{type: "replied_to"}]`), `exclude=replies,retweets`;
//!   - per-endpoint 15-minute windows ([`Limits`] `x_user_per_15_minutes` 300,
//!     `x_mentions_per_15_minutes` 450, `x_tweets_per_15_minutes` 1 500, shortened by the
//!     speed factor), `x-rate-limit-limit/remaining/reset` on every answer, 429 over it.
//! * Faults apply as on the other vendors, with each vendor's error body.
//! * Data ([`SocialConfig`], `DataConfig::social`), over the same `days`, from the seed on
//!   its own random streams (the Zendesk account and the reviews are the same with or
//!   without it): page posts (~1 a day), customer comments (~4 a day) answered by the page
//!   (70 %, log-normal delay with median 2 h, 6 % of replies 1–6 days later, some twice),
//!   by other users only, or hidden (5 %); the page's own top-level comments;
//!   recommendations (~0.3 a day, 25 % negative) answered by comments on their story; X
//!   mentions (~6 a day) answered by the brand's replies, other users' replies (mentions
//!   of their own), retweets of the brand's posts; follower counts (and the page's likes)
//!   changing once a day.
//! * Ground truth: [`GroundTruth::social`] ([`TrueInteraction`]s, [`CounterDay`]s per day),
//!   [`GroundTruth::public_response`] (n, answered, rate, R-7 median and p90 of the first
//!   reply's delay, as `kpis.public_response`), [`GroundTruth::negative_recommendations`],
//!   [`GroundTruth::facebook_followers`], [`GroundTruth::facebook_likes`],
//!   [`GroundTruth::x_followers`], [`GroundTruth::followers_on`].
//!
//! # What it does not cover
//! Any other endpoint (404), writes, side-loads other than `metric_sets` and
//! `comment_events`, AI-agent tickets (`support_type_scope=ai_agent` is always empty),
//! custom statuses, `hold` status, organizations, holidays in business hours, child events
//! other than status and comments (tags, priority, notifications, satisfaction events…),
//! audits for survey offers and answers (they only move the ticket's `updated_at`), shared
//! tickets (whose first private note would end first reply time), the "last minute is
//! excluded" rule of the exports (all data is before `now` anyway), data changing while a
//! sync runs (the dataset is fixed), and `sort=-created_at`. Of the [`DifferenceReason`]s,
//! `internal_note`, `reopened` and `vendor_counts_different_event` never arise in generated
//! data: under Zendesk's documented rules those cases agree with deskpulse (see each
//! variant).
//!
//! Of Trustpilot: the private endpoints (`/private/business-units/…`, business-user OAuth),
//! `business-units/find` and `/all`, consumer and product reviews, invitations, webhooks,
//! TrustScore's time weighting, reviews that do not count towards the TrustScore (all do),
//! languages other than English. Of Google: `batchGetReviews`, getting one review, replying,
//! account and location discovery (the Account Management and Business Information APIs),
//! token expiry (tokens stay valid while the simulator runs), `reviewMediaItems`. Reviews do
//! not change while a sync runs; replies and edits before `now` are all already there.
//!
//! Of Facebook: visitor posts on the page, reactions and shares, comment `filter=stream`
//! and `summary`, `fields` on `paging` links other than those given, legacy star ratings
//! (`rating`, items without `open_graph_story`), the v22+ deprecation of recommendations
//! (always served), `/me/accounts` and token debugging, `X-App-Usage`, Instagram. Of X:
//! edited posts (every `edit_history_tweet_ids` has one id), `previous_token`, deleted or
//! protected posts, quote posts, the monthly usage cap (`UsageCapExceeded`), user-context
//! auth, search, streams, `includes` other than the authors. Counters do not change while a
//! sync runs; replies before `now` are all already there.
//!
//! # Use
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use deskpulse_simulator::{Dataset, SimConfig, Simulator};
//! let cfg = SimConfig::default();
//! let data = Arc::new(Dataset::generate(&cfg));
//! let sim = Simulator::start(data.clone(), cfg).await?;
//! let _base = sim.base_url(); // point the Zendesk connector's base_url here
//! let _truth = data.truth();  // compare what was synced against this
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod event_ids;
mod generate;
mod render;
mod review_truth;
mod reviews;
mod server;
mod social;
mod social_truth;
mod truth;
mod vendor;

pub use config::{
    BusinessHours, Credentials, DataConfig, Faults, Limits, ReviewsConfig, SimConfig, SocialConfig,
    default_now,
};
pub use generate::{AGENT_BASE, CUSTOMER_BASE, Dataset, GROUPS, RATING_BASE, SYSTEM};
pub use review_truth::{
    GoogleAggregate, ReviewKpis, ReviewPlatform, TrueReview, TrustpilotAggregate,
};
pub use reviews::{HOSTILE_STRINGS, HUGE_TEXT_BYTES};
pub use server::{RunningSimulator, SimStats, Simulator};
pub use social_truth::{
    BRAND_NAME, CounterDay, PublicResponse, SocialPlatform, SocialTruth, TrueInteraction,
};
pub use truth::{
    Clock, DeskpulseValues, DifferenceReason, Exclusion, GroundTruth, TrueAgent, TrueMessage,
    TrueRating, TrueScore, TrueTicket, TrueTransition, VendorDifference, VendorField,
    VendorMinutes, ZendeskMetrics,
};
