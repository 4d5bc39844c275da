//! The social generator: a Facebook Page (posts, customer comments with threaded replies,
//! recommendations) and an X account (customer mentions, the brand's posts and replies),
//! with follower counts that change once a day, over the dataset's `days` before `now`, from
//! the seed. Its ground truth is in `social_truth` ([`TrueInteraction`], [`CounterDay`]).
//!
//! Every flow draws from its own random stream derived from the seed (page posts and
//! comments, recommendations, X mentions, each platform's counters), so the Zendesk account
//! and the reviews never change with these settings, and one flow's settings do not change
//! another's records.
//!
//! * Facebook: Poisson posts a day ([`SocialConfig::facebook_posts_per_day`]); Poisson
//!   customer comments a day, each under one of the latest posts published before it; a
//!   comment may be answered by another user (a threaded reply that is no answer), by the
//!   page ([`SocialConfig::reply_rate`], log-normal delay, [`SocialConfig::late_reply_rate`]
//!   of them days later, sometimes a second reply), or hidden by the page ([`SocialConfig::
//!   hidden_rate`]). The page also writes top-level comments of its own (not replies).
//!   Recommendations (Poisson, [`SocialConfig::negative_recommendation_rate`] negative) are
//!   answered by the page's comments on their `open_graph_story`.
//! * X: Poisson customer mentions a day, answered by the brand's posts with
//!   `referenced_tweets: [{type: "replied_to"}]`; another user's reply to a mention mentions
//!   the brand too (X puts the thread's handles in a reply), so it is itself a mention; a few
//!   retweets of the brand's own posts appear in the mentions timeline, as on X. Post ids are
//!   snowflakes (milliseconds since X's epoch, shifted by 22 bits), so they ascend with time.
//! * Counters: followers (and the page's likes) start at the configured values `days` before
//!   `now` and change by a rounded normal step at each UTC midnight.

use std::collections::HashMap;

use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{LogNormal, Normal, Poisson};

use crate::config::{Credentials, SimConfig, SocialConfig};
use crate::generate::ts;
use crate::social_truth::{CounterDay, SocialPlatform, SocialTruth, TrueInteraction};
use deskpulse_model::InteractionKind;

const DAY: i64 = 86_400;
/// X's snowflake epoch (2010-11-04T01:42:54.657Z), in unix milliseconds.
const X_EPOCH_MS: i64 = 1_288_834_974_657;

/// People comment and post in the day and evening more than at night.
const HOUR_WEIGHTS: [f64; 24] = [
    0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 0.9, 1.1, 1.2, 1.2, 1.3, 1.4, 1.3, 1.2, 1.2, 1.3, 1.5, 1.8,
    2.0, 2.1, 1.9, 1.4, 0.9,
];

const POSTS: [&str; 6] = [
    "Winter sale starts Friday!",
    "New trail shoes are in.",
    "Our warehouse team packed 2,000 parcels today.",
    "Which colour should we bring back?",
    "Free returns all month.",
    "Meet the team behind your orders.",
];
const COMPLAINTS: [&str; 8] = [
    "Where is my order? It's been 10 days.",
    "Still waiting for my refund.",
    "Nobody answers my emails!",
    "Do you ship to Norway?",
    "The zip on my jacket broke after a week.",
    "Is the sale also online?",
    "Charged twice for one order, please help",
    "Love these boots 😍",
];
const PAGE_REPLIES: [&str; 4] = [
    "Hi, sorry about this - please send us your order number by DM.",
    "Thanks! Yes, everything ships within 2 days.",
    "We've passed this on to the team and emailed you.",
    "Glad you like them!",
];
const BYSTANDER: [&str; 3] = ["Same here!", "They do, I got mine last week.", "+1"];
const NAMES: [&str; 10] = [
    "Alex Rivera",
    "Sam Okafor",
    "Priya Shah",
    "Jonas Berg",
    "Amélie Durand",
    "Kwame Mensah",
    "Sofia Rossi",
    "Li Wei",
    "Oğuz Kaya",
    "Mette Holm",
];
const REC_TEXTS: [&str; 4] = [
    "Great products and fast delivery.",
    "Waited 3 weeks for a refund.",
    "Helpful staff in the chat.",
    "Parcel arrived damaged and nobody answered.",
];

/// A person (customer, bystander, or the brand itself).
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub id: String,
    pub name: String,
}

/// A reply in a thread (a comment on a comment, or a comment on a recommendation's story).
#[derive(Debug, Clone)]
pub(crate) struct FbReply {
    pub id: String,
    pub from: Who,
    pub created: i64,
    pub message: &'static str,
}

/// A top-level comment on a post, with its replies (chronological).
#[derive(Debug, Clone)]
pub(crate) struct FbComment {
    pub id: String,
    pub from: Who,
    pub created: i64,
    pub message: &'static str,
    pub is_hidden: bool,
    pub replies: Vec<FbReply>,
}

/// A post of the page, with its top-level comments (chronological).
#[derive(Debug, Clone)]
pub(crate) struct FbPost {
    pub id: String,
    pub created: i64,
    pub message: &'static str,
    pub comments: Vec<FbComment>,
}

/// A recommendation, with the comments on its `open_graph_story` (chronological).
#[derive(Debug, Clone)]
pub(crate) struct FbRecommendation {
    /// `open_graph_story.id`: `{reviewer id}_{object id}`.
    pub story_id: String,
    pub reviewer: Who,
    pub created: i64,
    pub positive: bool,
    pub text: Option<&'static str>,
    pub comments: Vec<FbReply>,
}

/// A post on X.
#[derive(Debug, Clone)]
pub(crate) struct XPost {
    pub id: u64,
    pub author_id: String,
    pub created: i64,
    pub text: String,
    pub conversation_id: u64,
    /// `referenced_tweets`: (`replied_to` | `retweeted` | `quoted`, id).
    pub referenced: Option<(&'static str, u64)>,
    pub in_reply_to_user_id: Option<String>,
}

/// Where a node with comments is, for `GET /{id}/comments`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FbNode {
    Post(usize),
    Comment(usize, usize),
    Story(usize),
}

/// Everything the social endpoints serve.
#[derive(Debug, Default)]
pub(crate) struct SocialData {
    /// Newest first, as `/posts` serves them.
    pub posts: Vec<FbPost>,
    /// Newest first, as `/ratings` serves them.
    pub recommendations: Vec<FbRecommendation>,
    /// Node ids → where they are.
    pub nodes: HashMap<String, FbNode>,
    pub fb_followers: u64,
    pub fb_likes: u64,
    /// Mentions timeline, newest first (all of them; the endpoint serves the latest 800).
    pub mentions: Vec<XPost>,
    /// The brand's own posts and replies, newest first.
    pub brand_posts: Vec<XPost>,
    pub x_followers: u64,
    pub x_following: u64,
}

impl SocialData {
    /// Approximate heap bytes.
    pub(crate) fn approx_heap_bytes(&self) -> usize {
        let who = |w: &Who| w.id.capacity() + w.name.capacity();
        let reply = |r: &FbReply| std::mem::size_of::<FbReply>() + r.id.capacity() + who(&r.from);
        let posts: usize = self
            .posts
            .iter()
            .map(|p| {
                std::mem::size_of::<FbPost>()
                    + p.id.capacity()
                    + p.comments
                        .iter()
                        .map(|c| {
                            std::mem::size_of::<FbComment>()
                                + c.id.capacity()
                                + who(&c.from)
                                + c.replies.iter().map(reply).sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum();
        let recs: usize = self
            .recommendations
            .iter()
            .map(|r| {
                std::mem::size_of::<FbRecommendation>()
                    + r.story_id.capacity()
                    + who(&r.reviewer)
                    + r.comments.iter().map(reply).sum::<usize>()
            })
            .sum();
        let x: usize = self
            .mentions
            .iter()
            .chain(&self.brand_posts)
            .map(|p| std::mem::size_of::<XPost>() + p.author_id.capacity() + p.text.capacity())
            .sum();
        posts + recs + x + self.nodes.capacity() * 64
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One random stream.
struct Stream<'a> {
    rng: StdRng,
    cfg: &'a SocialConfig,
}

impl<'a> Stream<'a> {
    fn new(seed: u64, salt: u64, cfg: &'a SocialConfig) -> Self {
        Stream {
            rng: StdRng::seed_from_u64(mix(seed ^ salt)),
            cfg,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    /// Poisson arrival times in `[start, now - 60)`, sorted.
    fn arrivals(&mut self, start: i64, now: i64, per_day: f64) -> Vec<i64> {
        let hours = WeightedIndex::new(HOUR_WEIGHTS).ok();
        let Some(poisson) = (per_day > 0.0)
            .then(|| Poisson::new(per_day).ok())
            .flatten()
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut day = start;
        while day < now {
            let n = poisson.sample(&mut self.rng) as usize;
            for _ in 0..n {
                let h = hours
                    .as_ref()
                    .map_or(12, |w| w.sample(&mut self.rng) as i64);
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

    /// The brand's reply delay in seconds: log-normal, or 1 to 6 days for a late one.
    fn reply_delay(&mut self) -> i64 {
        if self.chance(self.cfg.late_reply_rate) {
            return self.rng.random_range(DAY..6 * DAY);
        }
        let mu = (self.cfg.reply_median_minutes.max(0.01) * 60.0).ln();
        let d = LogNormal::new(mu, self.cfg.reply_sigma.max(0.01))
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(self.cfg.reply_median_minutes * 60.0);
        (d.min(30.0 * DAY as f64) as i64).max(20)
    }

    /// A customer: a page-scoped id of 16 digits (Facebook) or a 19-digit user id (X).
    fn person(&mut self, digits: u32) -> Who {
        let lo = 10u64.pow(digits - 1);
        Who {
            id: self.rng.random_range(lo..lo * 9).to_string(),
            name: self.pick(&NAMES).to_string(),
        }
    }
}

/// Generates the social data and its truth over `[start, now)` (unix seconds).
pub(crate) fn generate(cfg: &SimConfig, start: i64) -> (SocialData, SocialTruth) {
    let now = cfg.now.timestamp();
    let s = &cfg.data.social;
    let c = &cfg.credentials;
    let mut data = SocialData::default();
    let mut truth = SocialTruth::default();
    facebook(cfg.seed, s, c, start, now, &mut data, &mut truth);
    x(cfg.seed, s, c, start, now, &mut data, &mut truth);
    let (fb, fb_likes) = counters(
        cfg.seed,
        0x6662_636e,
        s,
        (start, now),
        s.facebook_followers,
        s.facebook_likes,
    );
    let (xf, _) = counters(cfg.seed, 0x7863_6e74, s, (start, now), s.x_followers, 0);
    data.fb_followers = fb.last().map_or(s.facebook_followers, |d| d.followers);
    data.fb_likes = fb_likes;
    data.x_followers = xf.last().map_or(s.x_followers, |d| d.followers);
    data.x_following = 812;
    truth.facebook_days = fb;
    truth.x_days = xf;
    truth
        .interactions
        .sort_by(|a, b| (a.platform, a.created_at, &a.id).cmp(&(b.platform, b.created_at, &b.id)));
    (data, truth)
}

/// Each UTC day's counts from `start`'s day to `now`'s day: followers (and likes, which
/// follow the same steps scaled), and the likes at `now`.
fn counters(
    seed: u64,
    salt: u64,
    s: &SocialConfig,
    (start, now): (i64, i64),
    first: u64,
    first_likes: u64,
) -> (Vec<CounterDay>, u64) {
    let mut st = Stream::new(seed, salt, s);
    let step = Normal::new(s.followers_growth_per_day, s.followers_noise.max(0.0)).ok();
    let ratio = if first > 0 {
        first_likes as f64 / first as f64
    } else {
        0.0
    };
    let mut out = Vec::new();
    let mut followers = first as f64;
    let mut likes = first_likes as f64;
    let mut day = start.div_euclid(DAY) * DAY;
    while day <= now {
        if !out.is_empty() {
            let d = step
                .as_ref()
                .map_or(s.followers_growth_per_day, |n| n.sample(&mut st.rng))
                .round();
            followers = (followers + d).max(0.0);
            likes = (likes + (d * ratio).round()).max(0.0);
        }
        out.push(CounterDay {
            date: ts(day).date_naive(),
            followers: followers as u64,
            likes: likes as u64,
        });
        day += DAY;
    }
    (out, likes as u64)
}

/// An object id of 15 digits from a counter and a stride (ascending).
fn object_id(base: u64, n: u64) -> String {
    (base + n * 7919).to_string()
}

fn facebook(
    seed: u64,
    s: &SocialConfig,
    c: &Credentials,
    start: i64,
    now: i64,
    data: &mut SocialData,
    truth: &mut SocialTruth,
) {
    let page = Who {
        id: c.facebook_page_id.clone(),
        name: crate::social_truth::BRAND_NAME.to_string(),
    };
    let mut objects = 0u64;
    let mut next_object = || {
        objects += 1;
        objects
    };
    // Posts.
    let mut st = Stream::new(seed, 0x6662_706f_7374, s);
    let post_times = st.arrivals(start, now, s.facebook_posts_per_day);
    let mut posts: Vec<FbPost> = post_times
        .iter()
        .map(|&at| FbPost {
            id: format!(
                "{}_{}",
                page.id,
                object_id(900_000_000_000_000, next_object())
            ),
            created: at,
            message: st.pick(&POSTS),
            comments: Vec::new(),
        })
        .collect();
    // Customer comments, each under one of the latest three posts before it.
    let comment_times = st.arrivals(start, now, s.facebook_comments_per_day);
    for at in comment_times {
        let before = posts.partition_point(|p| p.created < at);
        if before == 0 {
            continue;
        }
        let back = st.rng.random_range(0..3usize).min(before - 1);
        let pi = before - 1 - back;
        let post_obj = posts[pi].id.rsplit('_').next().unwrap_or("").to_string();
        let mut cid = || {
            format!(
                "{post_obj}_{}",
                object_id(800_000_000_000_000, next_object())
            )
        };
        let id = cid();
        let from = st.person(16);
        let hidden = st.chance(s.hidden_rate);
        let mut replies = Vec::new();
        let mut other = false;
        if st.chance(s.third_party_reply_rate) {
            let t = at + st.rng.random_range(60..6 * 3600);
            if t < now {
                other = true;
                replies.push(FbReply {
                    id: cid(),
                    from: st.person(16),
                    created: t,
                    message: st.pick(&BYSTANDER),
                });
            }
        }
        let mut first_reply = None;
        if !hidden && st.chance(s.reply_rate) {
            let t = at + st.reply_delay();
            if t < now {
                first_reply = Some(t);
                replies.push(FbReply {
                    id: cid(),
                    from: page.clone(),
                    created: t,
                    message: st.pick(&PAGE_REPLIES),
                });
                if st.chance(s.second_reply_rate) {
                    let t2 = t + st.rng.random_range(60..DAY);
                    if t2 < now {
                        replies.push(FbReply {
                            id: cid(),
                            from: page.clone(),
                            created: t2,
                            message: st.pick(&PAGE_REPLIES),
                        });
                    }
                }
            }
        }
        replies.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        truth.interactions.push(TrueInteraction {
            platform: SocialPlatform::FacebookPage,
            id: id.clone(),
            kind: InteractionKind::Comment,
            created_at: ts(at),
            author_id: from.id.clone(),
            positive: None,
            hidden,
            first_reply_at: first_reply.map(ts),
            other_reply: other,
        });
        posts[pi].comments.push(FbComment {
            id,
            from,
            created: at,
            message: st.pick(&COMPLAINTS),
            is_hidden: hidden,
            replies,
        });
    }
    // The page's own top-level comments (not replies to anyone).
    for p in &mut posts {
        if st.chance(s.page_comment_rate) {
            let t = p.created + st.rng.random_range(60..4 * 3600);
            if t < now {
                let post_obj = p.id.rsplit('_').next().unwrap_or("").to_string();
                p.comments.push(FbComment {
                    id: format!(
                        "{post_obj}_{}",
                        object_id(800_000_000_000_000, next_object())
                    ),
                    from: page.clone(),
                    created: t,
                    message: st.pick(&PAGE_REPLIES),
                    is_hidden: false,
                    replies: Vec::new(),
                });
            }
        }
        p.comments
            .sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    }
    // Recommendations.
    let mut rs = Stream::new(seed, 0x6662_7265_6373, s);
    let mut recs = Vec::new();
    for at in rs.arrivals(start, now, s.facebook_recommendations_per_day) {
        let reviewer = rs.person(16);
        let positive = !rs.chance(s.negative_recommendation_rate);
        let obj = object_id(700_000_000_000_000, next_object());
        let story_id = format!("{}_{obj}", reviewer.id);
        let text = if rs.chance(0.7) {
            Some(if positive {
                rs.pick(&[REC_TEXTS[0], REC_TEXTS[2]])
            } else {
                rs.pick(&[REC_TEXTS[1], REC_TEXTS[3]])
            })
        } else {
            None
        };
        let p = if positive {
            s.recommendation_reply_rate_positive
        } else {
            s.recommendation_reply_rate_negative
        };
        let mut comments = Vec::new();
        let mut first = None;
        if rs.chance(p) {
            let t = at + rs.reply_delay();
            if t < now {
                first = Some(t);
                comments.push(FbReply {
                    id: format!("{obj}_{}", object_id(600_000_000_000_000, next_object())),
                    from: page.clone(),
                    created: t,
                    message: rs.pick(&PAGE_REPLIES),
                });
            }
        }
        truth.interactions.push(TrueInteraction {
            platform: SocialPlatform::FacebookPage,
            id: obj,
            kind: InteractionKind::Recommendation,
            created_at: ts(at),
            author_id: reviewer.id.clone(),
            positive: Some(positive),
            hidden: false,
            first_reply_at: first.map(ts),
            other_reply: false,
        });
        recs.push(FbRecommendation {
            story_id,
            reviewer,
            created: at,
            positive,
            text,
            comments,
        });
    }
    posts.reverse();
    recs.reverse();
    for (pi, p) in posts.iter().enumerate() {
        data.nodes.insert(p.id.clone(), FbNode::Post(pi));
        for (ci, c) in p.comments.iter().enumerate() {
            data.nodes.insert(c.id.clone(), FbNode::Comment(pi, ci));
        }
    }
    for (ri, r) in recs.iter().enumerate() {
        data.nodes.insert(r.story_id.clone(), FbNode::Story(ri));
    }
    data.posts = posts;
    data.recommendations = recs;
}

/// A snowflake id at `at` (unix seconds) with sequence `seq`.
fn snowflake(at: i64, seq: u64) -> u64 {
    let ms = (at * 1000 - X_EPOCH_MS).max(0) as u64;
    (ms << 22) | (seq & 0x3f_ffff)
}

fn x(
    seed: u64,
    s: &SocialConfig,
    c: &Credentials,
    start: i64,
    now: i64,
    data: &mut SocialData,
    truth: &mut SocialTruth,
) {
    let brand = &c.x_user_id;
    let handle = &c.x_username;
    let mut seq = 0u64;
    let mut id_at = |at: i64| {
        seq += 1;
        snowflake(at, seq)
    };
    let mut st = Stream::new(seed, 0x786d_656e_7473, s);
    let mut brand_posts: Vec<XPost> = Vec::new();
    for at in st.arrivals(start, now, s.x_posts_per_day) {
        let id = id_at(at);
        brand_posts.push(XPost {
            id,
            author_id: brand.clone(),
            created: at,
            text: st.pick(&POSTS).to_string(),
            conversation_id: id,
            referenced: None,
            in_reply_to_user_id: None,
        });
    }
    let originals: Vec<(i64, u64)> = brand_posts.iter().map(|p| (p.created, p.id)).collect();
    let mut mentions: Vec<XPost> = Vec::new();
    for at in st.arrivals(start, now, s.x_mentions_per_day) {
        // A retweet of one of the brand's posts: in the timeline, not a customer mention.
        let before = originals.partition_point(|o| o.0 < at);
        if before > 0 && st.chance(s.x_retweet_rate) {
            let (_, orig) = originals[before - 1];
            let id = id_at(at);
            mentions.push(XPost {
                id,
                author_id: st.person(19).id,
                created: at,
                text: format!("RT @{handle}: {}", st.pick(&POSTS)),
                conversation_id: id,
                referenced: Some(("retweeted", orig)),
                in_reply_to_user_id: None,
            });
            continue;
        }
        let author = st.person(19);
        let id = id_at(at);
        let mut thread = vec![(
            XPost {
                id,
                author_id: author.id.clone(),
                created: at,
                text: format!("@{handle} {}", st.pick(&COMPLAINTS)),
                conversation_id: id,
                referenced: None,
                in_reply_to_user_id: None,
            },
            false,
        )];
        // Another user's reply: it mentions the brand too (a customer mention of its own).
        if st.chance(s.third_party_reply_rate) {
            let t = at + st.rng.random_range(60..6 * 3600);
            if t < now {
                thread[0].1 = true;
                let other = st.person(19);
                thread.push((
                    XPost {
                        id: id_at(t),
                        author_id: other.id,
                        created: t,
                        text: format!("@{} @{handle} {}", author.name, st.pick(&BYSTANDER)),
                        conversation_id: id,
                        referenced: Some(("replied_to", id)),
                        in_reply_to_user_id: Some(author.id.clone()),
                    },
                    false,
                ));
            }
        }
        for (m, other) in thread {
            let mut first = None;
            // The brand answers the original mention (and, rarely, the bystander).
            let p = if m.referenced.is_none() {
                s.reply_rate
            } else {
                s.reply_rate * 0.2
            };
            if st.chance(p) {
                let t = m.created + st.reply_delay();
                if t < now {
                    first = Some(t);
                    let mut reply = |t: i64, st: &mut Stream<'_>| XPost {
                        id: id_at(t),
                        author_id: brand.clone(),
                        created: t,
                        text: format!("@customer {}", st.pick(&PAGE_REPLIES)),
                        conversation_id: m.conversation_id,
                        referenced: Some(("replied_to", m.id)),
                        in_reply_to_user_id: Some(m.author_id.clone()),
                    };
                    brand_posts.push(reply(t, &mut st));
                    if st.chance(s.second_reply_rate) {
                        let t2 = t + st.rng.random_range(60..DAY);
                        if t2 < now {
                            brand_posts.push(reply(t2, &mut st));
                        }
                    }
                }
            }
            truth.interactions.push(TrueInteraction {
                platform: SocialPlatform::X,
                id: m.id.to_string(),
                kind: InteractionKind::Mention,
                created_at: ts(m.created),
                author_id: m.author_id.clone(),
                positive: None,
                hidden: false,
                first_reply_at: first.map(ts),
                other_reply: other,
            });
            mentions.push(m);
        }
    }
    mentions.sort_by_key(|m| std::cmp::Reverse(m.id));
    brand_posts.sort_by_key(|m| std::cmp::Reverse(m.id));
    truth.x_retweets = mentions
        .iter()
        .filter(|m| m.referenced.is_some_and(|r| r.0 == "retweeted"))
        .count();
    data.mentions = mentions;
    data.brand_posts = brand_posts;
}
