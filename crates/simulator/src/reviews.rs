//! The review generator: Trustpilot and Google Business Profile reviews over the dataset's
//! `days` before `now`, from the seed, with their ground truth ([`TrueReview`]).
//!
//! Each platform draws from its own random stream derived from the seed, so the reviews never
//! change the Zendesk account and one platform's settings never change the other's reviews.
//! Per day, a Poisson number of reviews (evening-heavy hours); stars from
//! [`ReviewsConfig::star_weights`]; a business reply with a chance that depends on the stars
//! (negative reviews are answered most), published after a log-normal delay, sometimes
//! edited later; some reviews edited by their author. Titles, texts and author names come from
//! ordinary lists and, for [`ReviewsConfig::hostile_rate`] of the reviews, from
//! [`HOSTILE_STRINGS`] (cycled in order, so enough hostile reviews cover the whole list);
//! [`ReviewsConfig::huge_text_rate`] of them get a [`HUGE_TEXT_BYTES`] text.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{LogNormal, Poisson};

use crate::config::{ReviewsConfig, SimConfig};
use crate::generate::ts_ms;
use crate::review_truth::{ReviewPlatform, TrueReview};

/// Length in bytes of the occasional huge review text (100 KiB).
pub const HUGE_TEXT_BYTES: usize = 100 * 1024;

/// Strings that must reach a digest as inert text: HTML, Slack mrkdwn (mentions, links,
/// formatting), a right-to-left override (U+202E), zero-width spaces (U+200B), emoji.
pub const HOSTILE_STRINGS: &[&str] = &[
    "<script>alert(1)</script>",
    "<b>Worst</b> shop <i>ever</i>",
    "<!channel> refund me now",
    "<@U024BE7LH> look at this",
    "*bold* _italic_ ~strike~ `code`",
    "<https://evil.example|click> for your refund",
    "Great \u{202E}gnp.exe service",
    "Fine\u{200B}\u{200B} really\u{200B}",
    "📦 arrived broken 😡👎🏽",
    "<!here|here> &lt;b&gt; &amp; <!subteam^S012345>",
];

const DAY: i64 = 86_400;

/// Reviews are written in the evening more than at night.
const HOUR_WEIGHTS: [f64; 24] = [
    0.6, 0.4, 0.25, 0.2, 0.2, 0.3, 0.5, 0.8, 1.0, 1.1, 1.2, 1.2, 1.3, 1.2, 1.2, 1.2, 1.3, 1.5, 1.8,
    2.1, 2.3, 2.1, 1.6, 1.0,
];

const NEGATIVE_TITLES: [&str; 5] = [
    "Parcel never arrived",
    "Still waiting for my refund",
    "Rude support",
    "Wrong size, no exchange",
    "Charged twice",
];
const NEUTRAL_TITLES: [&str; 4] = [
    "OK but slow",
    "Decent products",
    "Average experience",
    "Could be better",
];
const POSITIVE_TITLES: [&str; 5] = [
    "Fast delivery",
    "Great service",
    "Lovely products",
    "Will order again",
    "Helpful team",
];
const NEGATIVE_TEXTS: [&str; 5] = [
    "Order shows delivered but nothing came. Two emails to support, no answer after 5 days.",
    "Returned the jacket a month ago and the refund still has not arrived.",
    "The agent on the chat was dismissive and closed the conversation.",
    "Sizes run small and the exchange costs more than the item.",
    "My card was charged twice for one order and nobody explains why.",
];
const NEUTRAL_TEXTS: [&str; 4] = [
    "The product is fine, the delivery took nine days.",
    "Good quality, but the website kept logging me out at checkout.",
    "Support answered eventually; the problem was solved on the second try.",
    "Nothing special, nothing wrong.",
];
const POSITIVE_TEXTS: [&str; 5] = [
    "Tent arrived next day, well packed.",
    "Support sorted out my address change within an hour. Thank you!",
    "Exactly as described, and the boots fit perfectly.",
    "Third order, always smooth.",
    "Friendly help on the phone, quick replacement.",
];
const REPLIES: [&str; 4] = [
    "Hi, sorry about this - we have opened a claim with the courier and emailed you.",
    "Thank you for your review! We are glad you are happy.",
    "Thanks for the feedback, we have passed it on to the team.",
    "We are sorry to read this. Please reply to our email so we can make it right.",
];
const NAMES: [&str; 10] = [
    "Hannah P.",
    "Marco",
    "Priya Shah",
    "Jonas B.",
    "Amélie Durand",
    "Kwame Mensah",
    "Sofia",
    "Li Wei",
    "Oğuz K.",
    "Mette H.",
];
const LOCATIONS: [&str; 5] = [
    "Leeds, GB",
    "Aarhus, DK",
    "Berlin, DE",
    "Dublin, IE",
    "Lyon, FR",
];

/// The author of a review.
#[derive(Debug, Clone)]
pub(crate) struct ZAuthor {
    /// Trustpilot `consumer.id` (unused on Google).
    pub id: String,
    pub name: Cow<'static, str>,
    /// Trustpilot `consumer.displayLocation`.
    pub location: Option<&'static str>,
    /// Trustpilot `consumer.numberOfReviews`.
    pub reviews: u32,
    /// Google `reviewer.isAnonymous` (then no photo and a generic name).
    pub anonymous: bool,
    /// Google `reviewer.profilePhotoUrl`.
    pub photo: Option<String>,
}

/// A business reply.
#[derive(Debug, Clone)]
pub(crate) struct ZReply {
    pub text: &'static str,
    /// First publication (unix milliseconds).
    pub created_ms: i64,
    /// Last edit, if edited (unix milliseconds).
    pub edited_ms: Option<i64>,
}

/// A review as the platform stores it (both platforms; each renders its own fields).
#[derive(Debug, Clone)]
pub(crate) struct ZReview {
    pub id: String,
    pub stars: u8,
    /// Trustpilot only.
    pub title: Option<Cow<'static, str>>,
    /// `None` on a rating-only Google review.
    pub text: Option<Cow<'static, str>>,
    pub language: &'static str,
    pub created_ms: i64,
    /// The author's last edit, if any.
    pub edited_ms: Option<i64>,
    /// Trustpilot `experiencedAt` (midnight UTC, unix seconds).
    pub experienced_at: i64,
    pub author: ZAuthor,
    pub verified: bool,
    pub likes: u32,
    pub reply: Option<ZReply>,
}

/// Every generated review, per platform, by `(created_ms, id)`.
#[derive(Debug, Default)]
pub(crate) struct ReviewData {
    pub trustpilot: Vec<ZReview>,
    pub google: Vec<ZReview>,
}

impl ReviewData {
    pub(crate) fn of(&self, p: ReviewPlatform) -> &[ZReview] {
        match p {
            ReviewPlatform::Trustpilot => &self.trustpilot,
            ReviewPlatform::GoogleBusinessProfile => &self.google,
        }
    }

    /// Approximate heap bytes.
    pub(crate) fn approx_heap_bytes(&self) -> usize {
        let one = |r: &ZReview| {
            std::mem::size_of::<ZReview>()
                + r.id.capacity()
                + r.author.id.capacity()
                + r.author.photo.as_ref().map_or(0, String::capacity)
                + [&r.title, &r.text]
                    .iter()
                    .filter_map(|t| match t {
                        Some(Cow::Owned(s)) => Some(s.capacity()),
                        _ => None,
                    })
                    .sum::<usize>()
                + match &r.author.name {
                    Cow::Owned(s) => s.capacity(),
                    Cow::Borrowed(_) => 0,
                }
        };
        self.trustpilot.iter().chain(&self.google).map(one).sum()
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generates both platforms' reviews created in `[start, now)` (unix seconds).
pub(crate) fn generate(cfg: &SimConfig, start: i64) -> (ReviewData, Vec<TrueReview>) {
    let now = cfg.now.timestamp();
    let r = &cfg.data.reviews;
    let (trustpilot, mut truth) = Platform::new(cfg.seed, ReviewPlatform::Trustpilot, r).run(
        start,
        now,
        r.trustpilot_per_day,
    );
    let (google, t2) = Platform::new(cfg.seed, ReviewPlatform::GoogleBusinessProfile, r).run(
        start,
        now,
        r.google_per_day,
    );
    truth.extend(t2);
    (ReviewData { trustpilot, google }, truth)
}

struct Platform<'a> {
    p: ReviewPlatform,
    cfg: &'a ReviewsConfig,
    rng: StdRng,
    hostile_next: usize,
    count: u32,
}

/// A huge text: ordinary sentences with emoji and a hostile string, cut at a character
/// boundary to exactly [`HUGE_TEXT_BYTES`] bytes.
fn huge_text(seed: usize) -> String {
    let mut s = String::with_capacity(HUGE_TEXT_BYTES + 64);
    let mut i = seed;
    while s.len() < HUGE_TEXT_BYTES {
        s.push_str(NEGATIVE_TEXTS[i % NEGATIVE_TEXTS.len()]);
        s.push_str(if i.is_multiple_of(7) { " 😡 " } else { " " });
        if i.is_multiple_of(50) {
            s.push_str(HOSTILE_STRINGS[(i / 50) % HOSTILE_STRINGS.len()]);
            s.push(' ');
        }
        i += 1;
    }
    let mut cut = HUGE_TEXT_BYTES;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    while s.len() < HUGE_TEXT_BYTES {
        s.push('.');
    }
    s
}

impl<'a> Platform<'a> {
    fn new(seed: u64, p: ReviewPlatform, cfg: &'a ReviewsConfig) -> Self {
        let salt = match p {
            ReviewPlatform::Trustpilot => 0x7472_7573_7470_696c,
            ReviewPlatform::GoogleBusinessProfile => 0x676f_6f67_6c65_6270,
        };
        Platform {
            p,
            cfg,
            rng: StdRng::seed_from_u64(mix(seed ^ salt)),
            hostile_next: 0,
            count: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }

    /// Log-normal delay in seconds with the given median (hours), at least a minute.
    fn delay(&mut self, median_hours: f64, sigma: f64) -> i64 {
        let mu = (median_hours.max(0.001) * 3600.0).ln();
        let d = LogNormal::new(mu, sigma.max(0.01))
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(median_hours * 3600.0);
        (d.min(365.0 * DAY as f64) as i64).max(60)
    }

    /// Milliseconds to add to a whole second: Google's times have them (mostly), Trustpilot's
    /// do not.
    fn millis(&mut self) -> i64 {
        match self.p {
            ReviewPlatform::Trustpilot => 0,
            ReviewPlatform::GoogleBusinessProfile => {
                if self.chance(0.7) {
                    self.rng.random_range(1..1000)
                } else {
                    0
                }
            }
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.rng.random_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    fn arrivals(&mut self, start: i64, now: i64, per_day: f64) -> Vec<i64> {
        let hours = WeightedIndex::new(HOUR_WEIGHTS).ok();
        let poisson = (per_day > 0.0)
            .then(|| Poisson::new(per_day).ok())
            .flatten();
        let mut out = Vec::new();
        let Some(poisson) = poisson else {
            return out;
        };
        let mut day = start;
        while day < now {
            let n = poisson.sample(&mut self.rng) as usize;
            for _ in 0..n {
                let h = hours
                    .as_ref()
                    .map(|w| w.sample(&mut self.rng) as i64)
                    .unwrap_or(12);
                let at = day + h * 3600 + self.rng.random_range(0..3600);
                if at < now - 60 {
                    out.push(at);
                }
            }
            day += DAY;
        }
        out.sort_unstable();
        out
    }

    fn run(mut self, start: i64, now: i64, per_day: f64) -> (Vec<ZReview>, Vec<TrueReview>) {
        let arrivals = self.arrivals(start, now, per_day);
        let stars_dist = WeightedIndex::new(self.cfg.star_weights).ok();
        let mut out: Vec<(ZReview, TrueReview)> = Vec::with_capacity(arrivals.len());
        for at in arrivals {
            let stars = stars_dist
                .as_ref()
                .map(|d| d.sample(&mut self.rng) as u8 + 1)
                .unwrap_or(5);
            out.push(self.review(at, stars, now));
        }
        out.sort_by(|a, b| (a.0.created_ms, &a.0.id).cmp(&(b.0.created_ms, &b.0.id)));
        out.into_iter().unzip()
    }

    fn review(&mut self, at: i64, stars: u8, now: i64) -> (ZReview, TrueReview) {
        self.count += 1;
        let now_ms = now * 1000;
        let created_ms = at * 1000 + self.millis();
        let google = self.p == ReviewPlatform::GoogleBusinessProfile;
        let (titles, texts): (&[&'static str], &[&'static str]) = match stars {
            1 | 2 => (&NEGATIVE_TITLES, &NEGATIVE_TEXTS),
            3 => (&NEUTRAL_TITLES, &NEUTRAL_TEXTS),
            _ => (&POSITIVE_TITLES, &POSITIVE_TEXTS),
        };
        let mut title: Cow<'static, str> = Cow::Borrowed(self.pick(titles));
        let mut text: Cow<'static, str> = Cow::Borrowed(self.pick(texts));
        let mut name: Cow<'static, str> = Cow::Borrowed(self.pick(&NAMES));
        let hostile = self.chance(self.cfg.hostile_rate);
        if hostile {
            let i = self.hostile_next;
            self.hostile_next += 1;
            let h = HOSTILE_STRINGS[i % HOSTILE_STRINGS.len()];
            title = Cow::Borrowed(h);
            text = Cow::Owned(format!("{h} {text}"));
            if i.is_multiple_of(3) {
                name = Cow::Borrowed(h);
            }
        }
        let huge = self.chance(self.cfg.huge_text_rate);
        if huge {
            text = Cow::Owned(huge_text(self.count as usize));
        }
        let rating_only = google && !hostile && !huge && self.chance(self.cfg.rating_only_rate);
        let anonymous = google && !hostile && self.chance(0.1);
        if anonymous {
            name = Cow::Borrowed("A Google user");
        }
        let id = match self.p {
            // A MongoDB ObjectId, as Trustpilot's: the creation second, 5 random bytes, a
            // counter.
            ReviewPlatform::Trustpilot => {
                format!("{:08x}{}{:06x}", at as u32, self.hex(10), self.count)
            }
            // An opaque URL-safe id, as Google's.
            ReviewPlatform::GoogleBusinessProfile => {
                let mut b = self.rng.random::<u64>().to_be_bytes().to_vec();
                b.extend(self.rng.random::<u64>().to_be_bytes());
                b.extend(self.count.to_be_bytes());
                format!("Ab{}", URL_SAFE_NO_PAD.encode(b))
            }
        };
        let author = ZAuthor {
            id: self.hex(24),
            name,
            location: if self.chance(0.7) {
                Some(self.pick(&LOCATIONS))
            } else {
                None
            },
            reviews: self.rng.random_range(1..=20),
            anonymous,
            photo: (!anonymous).then(|| {
                format!(
                    "https://lh3.googleusercontent.com/a-/ALV-Uj{}",
                    self.hex(12)
                )
            }),
        };
        let experienced_at = (at - self.rng.random_range(0..7) * DAY).div_euclid(DAY) * DAY;
        let verified = self.chance(0.7);
        let likes = if self.chance(0.8) {
            0
        } else {
            self.rng.random_range(1..=5)
        };
        let edited_ms = if self.chance(self.cfg.review_edit_rate) {
            let t = created_ms + self.delay(72.0, 1.0) * 1000 + self.millis();
            (t < now_ms).then_some(t)
        } else {
            None
        };
        let p_reply = match stars {
            1 | 2 => self.cfg.reply_rate_negative,
            3 => self.cfg.reply_rate_neutral,
            _ => self.cfg.reply_rate_positive,
        };
        let reply = if self.chance(p_reply) {
            let published =
                at * 1000 + self.delay(self.cfg.reply_median_hours, self.cfg.reply_sigma) * 1000;
            let published = published + self.millis();
            let text = self.pick(&REPLIES);
            let edited = if self.chance(self.cfg.reply_edit_rate) {
                let t = published + self.delay(48.0, 1.0) * 1000 + self.millis();
                (t < now_ms).then_some(t)
            } else {
                None
            };
            (published < now_ms).then_some(ZReply {
                text,
                created_ms: published,
                edited_ms: edited,
            })
        } else {
            None
        };
        let truth = TrueReview {
            platform: self.p,
            id: id.clone(),
            stars,
            created_at: ts_ms(created_ms),
            edited_at: edited_ms.map(ts_ms),
            reply_published_at: reply.as_ref().map(|r| ts_ms(r.created_ms)),
            reply_edited_at: reply.as_ref().and_then(|r| r.edited_ms).map(ts_ms),
            hostile,
            huge_text: huge,
            rating_only,
        };
        let z = ZReview {
            id,
            stars,
            title: (!google).then_some(title),
            text: (!rating_only).then_some(text),
            language: "en",
            created_ms,
            edited_ms,
            experienced_at,
            author,
            verified,
            likes,
            reply,
        };
        (z, truth)
    }
}
