//! deskpulse connector for Yelp: the Yelp Places API (formerly Fusion, `https://api.yelp.com/v3`).
//!
//! Yelp lets an API client read a business's **own figures** and **a few review excerpts**,
//! nothing more: no review history, no owner replies. So the connector reads two documents
//! per sync (streams in `src/streams.rs`, payloads and mapping in `src/api.rs`):
//!
//! - `business` — `GET /v3/businesses/{business_id}` → one `RatingSnapshot`:
//!   `overall_rating` = `rating` (Yelp's, half stars), `total_reviews` = `review_count`,
//!   `account` = Yelp's id of the business, coverage `aggregate_sample`, observed at the
//!   client's clock. Storage keeps one per UTC day: trends come from these snapshots.
//! - `reviews` — `GET /v3/businesses/{business_id}/reviews` → the excerpts Yelp gives (at
//!   most 3, in Yelp's default order; whether a plan gets any is Yelp's pricing) as
//!   `Review`s: `id`, `rating` (1–5), `text` (an **excerpt**, truncated by Yelp, stored as
//!   given), `time_created` (Pacific time, see `api.rs`), `url`. The reviewer's name is not
//!   read (`author_name` is always `None`): personal data no KPI needs.
//!
//! **Known limits.** The REST API gives no owner replies, so `reply_text` and `replied_at` are
//! always `None`: for Yelp that means *unknown*, not *unanswered*. The coverage
//! (`ReviewCoverage::AggregateSample`, declared on [`Yelp`] and carried by every snapshot)
//! tells the reports so: Yelp's excerpts stay out of the answered share, the reply time and
//! the all-platform review figures, and the sample's mean is not the business's rating
//! (`overall_rating` is). A rating distribution or a count of new reviews per period cannot
//! be had from Yelp at all. Each stream is one request, re-read in full on every sync (the
//! checkpoint only names the business read).
//!
//! **Errors.** A business Yelp does not know (HTTP 404, or an error body with
//! `BUSINESS_NOT_FOUND`) is an error naming `business_id`. A 404 on the reviews of a business
//! whose details were read means the API plan does not include review excerpts (Yelp's
//! answer to trial keys, Yelp/yelp-fusion#702) — or a wrong `business_id`; the error says
//! both. Yelp's daily limit (429 `ACCESS_LIMIT_REACHED`, reset at midnight UTC) is named as
//! such. Yelp answers 403 `BUSINESS_UNAVAILABLE` for a business without recommended reviews;
//! the SDK reports every 403 as rejected credentials without the body, so that case reads as
//! a credentials error. Yelp's `RateLimit-DailyLimit` / `RateLimit-Remaining` /
//! `RateLimit-ResetTime` headers are not read by the SDK (it knows `X-RateLimit-*`);
//! `requests_per_minute` paces the client, and a 429 is retried with backoff.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "yelp-main"
//! kind = "yelp"
//! business_id = "yelp-san-francisco"   # the id, or the alias after /biz/ in the Yelp page's URL
//! api_key = "${YELP_API_KEY}"          # the Places API key, sent as a Bearer token
//! # base_url = "http://127.0.0.1:8080" # overrides https://api.yelp.com (tests, proxies)
//! # requests_per_minute = 60           # client-side pace (0 = no client-side limit)
//! # locale = "en_US"                   # Yelp's `locale`: language of details and excerpts
//! ```

mod api;
mod settings;
mod streams;

pub use settings::{DEFAULT_BASE_URL, YelpSettings};
pub use streams::SnapshotCheckpoint;

use deskpulse_connector::prelude::*;
use futures::StreamExt;
use streams::{BusinessStream, ReviewsStream};

/// The Yelp connector kind: what it is, what it reads, and how it is built.
pub struct Yelp;

impl ConnectorFactory for Yelp {
    const KIND: &'static str = "yelp";
    const DESCRIPTION: &'static str = "Yelp (Places API): the business's rating and review count as a daily snapshot, and the few review excerpts Yelp gives (no replies)";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "business",
            "the business's own rating and review count (one snapshot a day; coverage aggregate_sample)",
        ),
        StreamSpec::new(
            "reviews",
            "up to 3 review excerpts (truncated text, stars, time, link); no reviewer names, no owner replies",
        ),
    ];
    /// The business details: the cheapest call that proves the key and the business.
    const PROBE_STREAM: Option<&'static str> = Some("business");
    /// Yelp's figures plus a few excerpts.
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::AggregateSample);
    build_from!(YelpSettings => YelpConnector::new);
}

/// A configured Yelp source.
#[derive(Debug)]
pub struct YelpConnector {
    pub(crate) http: HttpClient,
    pub(crate) business_id: String,
    pub(crate) locale: Option<String>,
}

impl YelpConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: YelpSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::per_minute(settings.requests_per_minute),
        );
        let http = HttpSettings::for_kind::<Yelp>(v.base_url, Auth::Bearer(v.api_key));
        Ok(Self {
            http: HttpClient::new(http)?.with_budgets(budgets),
            business_id: v.business_id,
            locale: v.locale,
        })
    }

    pub(crate) fn checkpoint(&self) -> SnapshotCheckpoint {
        SnapshotCheckpoint {
            business_id: self.business_id.clone(),
        }
    }
}

impl HttpConnector for YelpConnector {
    type Kind = Yelp;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let (read, what) = match stream {
            "business" => (
                cursor_stream(&self.http, BusinessStream { c: self }, from),
                Doc::Business,
            ),
            "reviews" => (
                cursor_stream(&self.http, ReviewsStream { c: self }, from),
                Doc::Reviews,
            ),
            _ => return None,
        };
        let id = self.business_id.as_str();
        Some(Box::pin(
            read.map(move |r| r.map_err(|e| explain(e, id, what))),
        ))
    }
}

/// Which document a request read.
#[derive(Clone, Copy)]
enum Doc {
    Business,
    Reviews,
}

/// Yelp's answers that name a cause the user can fix, said in words; every other error as
/// the SDK made it.
fn explain(err: ConnectorError, business_id: &str, doc: Doc) -> ConnectorError {
    let ConnectorError::Http {
        status,
        endpoint,
        attempts,
        detail,
    } = err
    else {
        return err;
    };
    if detail.contains("BUSINESS_NOT_FOUND") || (status == 404 && matches!(doc, Doc::Business)) {
        return ConnectorError::settings(
            "business_id",
            format!(
                "{business_id:?} names no business Yelp knows (HTTP {status} on {endpoint}: {detail}): write the \
                 business's Yelp id or alias (the part after `/biz/` in its Yelp page's URL)"
            ),
        );
    }
    let hint = match (status, doc) {
        (404, Doc::Reviews) => Some(format!(
            "Yelp answers 404 on a business's reviews when the API plan does not include review excerpts \
             (trial keys do not): check the plan at https://www.yelp.com/developers, or that `business_id` \
             {business_id:?} is the business's id or alias"
        )),
        (429, _) if detail.contains("ACCESS_LIMIT_REACHED") => Some(
            "the API key's daily request limit is used up; Yelp resets it at midnight UTC: sync less often, \
             or ask Yelp for a larger plan"
                .to_owned(),
        ),
        _ => None,
    };
    ConnectorError::Http {
        status,
        endpoint,
        attempts,
        detail: match hint {
            Some(h) => format!("{detail} — {h}"),
            None => detail,
        },
    }
}
