//! The simulator over HTTP: paging, resuming, auth, rate limits and faults, with reqwest.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Faults, Limits, RunningSimulator, SimConfig, Simulator,
    TrueScore,
};
use serde_json::Value;

#[path = "api/ticket_events.rs"]
mod ticket_events;
#[path = "api/zendesk_lists.rs"]
mod zendesk_lists;

const EVENTS: &str = "/api/v2/incremental/ticket_events.json";
const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
const USERS: &str = "/api/v2/incremental/users/cursor.json";
const RATINGS: &str = "/api/v2/satisfaction_ratings.json";

fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days: 21,
            tickets_per_day: 25.0,
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    }
}

async fn start(cfg: SimConfig) -> (RunningSimulator, Arc<Dataset>) {
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg)
        .await
        .expect("simulator starts");
    (sim, data)
}

/// A deadline for what must happen (a request answered, a server gone), never a measure
/// of speed: CI shares two cores with other work.
const WAIT: Duration = Duration::from_secs(120);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client")
}

fn auth(rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let c = Credentials::default();
    rb.basic_auth(format!("{}/token", c.email), Some(c.token))
}

async fn get(c: &reqwest::Client, url: &str) -> Value {
    let resp = auth(c.get(url)).send().await.expect("request");
    assert_eq!(resp.status(), 200, "GET {url}");
    resp.json().await.expect("JSON body")
}

/// Pages a cursor export from `start_time=0`; returns the records and the page bodies.
async fn cursor_export(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    key: &str,
    extra: &str,
) -> (Vec<Value>, Vec<Value>) {
    let mut url = format!("{base}{path}?start_time=0{extra}");
    let (mut recs, mut pages) = (Vec::new(), Vec::new());
    for _ in 0..10_000 {
        let body = get(c, &url).await;
        recs.extend(body[key].as_array().expect("records").iter().cloned());
        let next = body["after_url"].as_str().expect("after_url").to_string();
        assert!(
            next.starts_with(base),
            "after_url {next} is on the simulator"
        );
        assert!(body["after_cursor"].is_string());
        let end = body["end_of_stream"].as_bool().expect("end_of_stream");
        pages.push(body);
        if end {
            return (recs, pages);
        }
        url = next;
    }
    panic!("{path} never reached end_of_stream");
}

/// Pages the ticket-event export; returns each audit by id (checking that repeats are exact
/// copies) and the number of pages.
async fn events_export(
    c: &reqwest::Client,
    base: &str,
    per_page: usize,
) -> (BTreeMap<i64, Value>, usize) {
    let mut url = format!("{base}{EVENTS}?start_time=0&include=comment_events&per_page={per_page}");
    let mut seen: BTreeMap<i64, Value> = BTreeMap::new();
    for pages in 1..100_000 {
        let body = get(c, &url).await;
        let evs = body["ticket_events"].as_array().expect("ticket_events");
        assert_eq!(body["count"].as_u64(), Some(evs.len() as u64));
        for e in evs {
            let id = e["id"].as_i64().expect("id");
            if let Some(old) = seen.get(&id) {
                assert_eq!(old, e, "a repeated audit is an exact copy");
            } else {
                seen.insert(id, e.clone());
            }
        }
        let next = body["next_page"].as_str().expect("next_page").to_string();
        assert!(
            next.starts_with(base),
            "next_page {next} is on the simulator"
        );
        assert!(next.contains("include=comment_events"));
        if body["end_of_stream"].as_bool().expect("end_of_stream") {
            return (seen, pages);
        }
        url = next;
    }
    panic!("ticket events never reached end_of_stream");
}

async fn ratings_export(c: &reqwest::Client, base: &str, first: &str) -> Vec<Value> {
    let mut url = first.to_string();
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let body = get(c, &url).await;
        out.extend(
            body["satisfaction_ratings"]
                .as_array()
                .expect("ratings")
                .iter()
                .cloned(),
        );
        if !body["meta"]["has_more"].as_bool().expect("has_more") {
            assert!(body["links"]["next"].is_null());
            return out;
        }
        let next = body["links"]["next"]
            .as_str()
            .expect("links.next")
            .to_string();
        assert!(
            next.starts_with(base),
            "links.next {next} is on the simulator"
        );
        url = next;
    }
    panic!("ratings never ended");
}

fn ids(recs: &[Value]) -> Vec<i64> {
    recs.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

fn assert_unique(ids: &[i64], what: &str) {
    let mut s = ids.to_vec();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), ids.len(), "every {what} exactly once");
}

#[tokio::test]
async fn users_and_tickets_export_every_record_once_with_the_true_facts() {
    let (sim, data) = start(small(1)).await;
    let truth = data.truth();
    let c = client();
    let base = sim.base_url();

    let (users, pages) = cursor_export(&c, base, USERS, "users", "&per_page=40").await;
    assert!(pages.len() > 2);
    assert_unique(&ids(&users), "user");
    assert_eq!(users.len(), truth.user_count());
    let agents = users.iter().filter(|u| u["role"] != "end-user").count();
    assert_eq!(agents, truth.agents.len());

    let (tickets, pages) = cursor_export(
        &c,
        base,
        TICKETS,
        "tickets",
        "&include=metric_sets&per_page=100",
    )
    .await;
    assert!(pages.len() > 3);
    assert_unique(&ids(&tickets), "ticket");
    assert_eq!(tickets.len(), truth.ticket_count());
    // Ordered by (updated_at, id).
    let keys: Vec<(i64, i64)> = tickets
        .iter()
        .map(|t| {
            (
                t["generated_timestamp"].as_i64().expect("ts"),
                t["id"].as_i64().expect("id"),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    for t in &tickets {
        let tt = truth
            .ticket(t["id"].as_i64().expect("id"))
            .expect("true ticket");
        assert_eq!(t["status"], tt.vendor_status);
        assert_eq!(t["requester_id"], tt.requester);
        assert_eq!(t["submitter_id"], tt.submitter);
        assert_eq!(t["assignee_id"].as_i64(), tt.assignee);
        // The metric set is Zendesk's figures (the ground truth's vendor values), which are
        // not deskpulse's: `replies` also counts trigger replies Zendesk attributes to the
        // assignee, and a merged ticket is resolved by its merge.
        let ms = &t["metric_set"];
        if tt.vendor_status == "deleted" {
            // Zendesk deletes a deleted ticket's metric record: no metric set.
            assert!(ms.is_null(), "{t}");
            continue;
        }
        assert_eq!(ms["reopens"], tt.vendor.reopens);
        assert_eq!(ms["reopens"], tt.reopens);
        assert_eq!(ms["replies"], tt.vendor.replies);
        let solved_at = ms["solved_at"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().expect("time"));
        assert_eq!(solved_at, tt.vendor.solved_at);
        if tt.excluded.is_none() {
            assert_eq!(solved_at, tt.final_solved_at);
        }
        let merged = t["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|x| x == "closed_by_merge");
        assert_eq!(
            merged,
            tt.excluded == Some(deskpulse_simulator::Exclusion::Merged)
        );
        assert!(t["via"]["channel"].is_string());
    }
    // Without include=metric_sets there is no metric_set.
    let body = get(&c, &format!("{base}{TICKETS}?start_time=0&per_page=5")).await;
    assert!(body["tickets"][0].get("metric_set").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn resuming_from_a_cursor_gives_the_same_pages() {
    let (sim, _data) = start(small(2)).await;
    let c = client();
    let base = sim.base_url();
    let (all, pages) = cursor_export(&c, base, TICKETS, "tickets", "&per_page=50").await;
    let cursor = pages[1]["after_cursor"].as_str().expect("cursor");
    let body = get(&c, &format!("{base}{TICKETS}?cursor={cursor}&per_page=50")).await;
    assert_eq!(body["tickets"], pages[2]["tickets"]);
    // The last cursor resumes to an empty, finished page.
    let last = pages.last().expect("pages")["after_cursor"]
        .as_str()
        .expect("cursor");
    let body = get(&c, &format!("{base}{TICKETS}?cursor={last}")).await;
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(0));
    assert_eq!(body["end_of_stream"], true);
    assert_eq!(body["after_cursor"], last);
    // start_time skips what was updated before it.
    let mid = all[all.len() / 2]["generated_timestamp"]
        .as_i64()
        .expect("ts");
    let (later, _) = cursor_export(&c, base, TICKETS, "tickets", "").await;
    let from_mid = later
        .iter()
        .filter(|t| t["generated_timestamp"].as_i64() >= Some(mid))
        .count();
    let url = format!("{base}{TICKETS}?start_time={mid}");
    let body = get(&c, &url).await;
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(from_mid));
    // A broken cursor is a 400, not a crash.
    let resp = auth(c.get(format!("{base}{TICKETS}?cursor=%%%")))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 400);
    let resp = auth(c.get(format!("{base}{TICKETS}")))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn ticket_events_page_through_every_audit_with_exact_boundary_repeats() {
    let (sim, data) = start(small(3)).await;
    let truth = data.truth();
    let c = client();
    let (audits, pages) = events_export(&c, sim.base_url(), 200).await;
    assert!(pages > 3);
    let (mut comments, mut statuses) = (0, 0);
    let mut by_ticket: HashMap<i64, Vec<&Value>> = HashMap::new();
    for a in audits.values() {
        assert_eq!(a["event_type"], "Audit");
        assert!(a["via"].is_string());
        by_ticket
            .entry(a["ticket_id"].as_i64().expect("ticket"))
            .or_default()
            .push(a);
        for ch in a["child_events"].as_array().expect("children") {
            match ch["event_type"].as_str() {
                Some("Comment") => {
                    comments += 1;
                    assert!(ch["via"]["channel"].is_string());
                    // A trigger's comment is the assignee's, or the system user's.
                    if ch["via"]["channel"] == "rule" {
                        let author = ch["author_id"].as_i64().expect("author");
                        assert!(
                            author == -1 || truth.agents.iter().any(|a| a.id == author),
                            "{ch}"
                        );
                    }
                }
                Some("Create") | Some("Change") => {
                    statuses += 1;
                    // The export's layout: the field as its own key.
                    assert!(ch["status"].is_string(), "{ch}");
                    assert!(ch.get("field_name").is_none(), "{ch}");
                }
                other => panic!("unexpected child {other:?}"),
            }
        }
    }
    assert_eq!(comments, truth.comment_count());
    assert_eq!(statuses, truth.status_change_count());
    assert_eq!(by_ticket.len(), truth.ticket_count());
    // Each ticket's comments, in order, are the true messages.
    for t in &truth.tickets {
        let mut audits = by_ticket[&t.id].clone();
        audits.sort_by_key(|a| (a["timestamp"].as_i64(), a["id"].as_i64()));
        let got: Vec<(i64, bool)> = audits
            .iter()
            .flat_map(|a| a["child_events"].as_array().expect("children").iter())
            .filter(|c| c["event_type"] == "Comment")
            .map(|c| {
                (
                    c["author_id"].as_i64().expect("author"),
                    c["public"].as_bool().expect("public"),
                )
            })
            .collect();
        let want: Vec<(i64, bool)> = t.messages.iter().map(|m| (m.author_id, m.public)).collect();
        assert_eq!(got, want, "ticket {}", t.id);
    }
    // Without comment_events, comments are summarized only: "described only by Boolean
    // comment_present and comment_public object properties in the event's child_events
    // array" (Incremental Ticket Event Export reference).
    let body = get(
        &c,
        &format!("{}{EVENTS}?start_time=0&per_page=20", sim.base_url()),
    )
    .await;
    let first = &body["ticket_events"][0];
    let children = first["child_events"].as_array().expect("children");
    assert!(children.iter().any(|c| c["comment_present"] == true));
    assert!(
        children
            .iter()
            .all(|c| c.get("body").is_none() && c.get("author_id").is_none())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn satisfaction_ratings_page_with_cursors() {
    let (sim, data) = start(small(4)).await;
    let truth = data.truth();
    let c = client();
    let base = sim.base_url();
    let first = format!("{base}{RATINGS}?start_time=0&sort=created_at&page[size]=7");
    let all = ratings_export(&c, base, &first).await;
    assert_unique(&ids(&all), "rating");
    assert_eq!(all.len(), truth.rating_count());
    assert!(truth.ratings_answered() > 0 && truth.ratings_answered() < truth.rating_count());
    for (r, t) in all.iter().zip(&truth.ratings) {
        assert_eq!(r["id"], t.id);
        let score = match t.score {
            TrueScore::Good => "good",
            TrueScore::Bad => "bad",
            TrueScore::Offered => "offered",
        };
        assert_eq!(r["score"], score);
        assert_eq!(r["ticket_id"], t.ticket_id);
    }
    // page[size] is capped at 100; start_time filters by created_at.
    let body = get(&c, &format!("{base}{RATINGS}?start_time=0&page[size]=500")).await;
    assert_eq!(
        body["satisfaction_ratings"].as_array().map(Vec::len),
        Some(100.min(all.len()))
    );
    // start_time filters by the record's created_at: the offer.
    let mid = &truth.ratings[truth.ratings.len() / 2];
    let st = mid.offered_at.timestamp();
    let first = format!("{base}{RATINGS}?start_time={st}&sort=created_at&page[size]=50");
    let later = ratings_export(&c, base, &first).await;
    let want = truth
        .ratings
        .iter()
        .filter(|r| r.offered_at.timestamp() >= st)
        .count();
    assert_eq!(later.len(), want);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_credentials_are_401_and_bearer_works() {
    let (sim, _) = start(small(5)).await;
    let c = client();
    let url = format!("{}{USERS}?start_time=0", sim.base_url());
    for rb in [
        c.get(&url),
        c.get(&url)
            .basic_auth("demo@example.com/token", Some("wrong")),
        c.get(&url)
            .basic_auth("other@example.com/token", Some("sim-token")),
        c.get(&url).bearer_auth("wrong"),
    ] {
        let resp = rb.send().await.expect("request");
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"], "Couldn't authenticate you");
    }
    let resp = c
        .get(&url)
        .bearer_auth("sim-token")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(sim.stats().unauthorized, 4);
    let resp = auth(c.get(format!("{}/api/v2/tickets.json", sim.base_url())))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 404);
    sim.shutdown().await;
}

/// A header's value as a number.
fn num(resp: &reqwest::Response, name: &str) -> u64 {
    resp.headers()[name]
        .to_str()
        .expect("ascii")
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn over_the_minutes_limit_is_429_until_the_minute_ends() {
    let cfg = SimConfig {
        limits: Limits::default(),
        ..small(6)
    };
    let (sim, _) = start(cfg).await;
    let c = client();
    let url = format!("{}{TICKETS}?start_time=0&per_page=10", sim.base_url());
    let mut codes = Vec::new();
    let mut retry_after = 0;
    for i in 0..11 {
        let resp = auth(c.get(&url)).send().await.expect("request");
        // Every answer carries the account's limit and what remains of its minute; an
        // export, no window of its own (Zendesk documents none).
        assert_eq!(num(&resp, "x-rate-limit"), 700);
        assert_eq!(num(&resp, "x-rate-limit-remaining"), 700 - 1 - i.min(9));
        assert!(!resp.headers().contains_key("ratelimit-remaining"));
        codes.push(resp.status().as_u16());
        if resp.status() == 429 {
            retry_after = num(&resp, "retry-after");
        }
    }
    assert_eq!(&codes[..10], &[200; 10]);
    assert_eq!(codes[10], 429, "the 11th export of a minute");
    // Until the end of the minute that began when the simulator started, not a minute
    // after the first request (nor 6 s, a bucket's refill of one).
    assert!((1..=60).contains(&retry_after), "retry-after {retry_after}");
    // Ratings are not an incremental export: they still pass, and a list endpoint's answer
    // also says when the account's window resets — the same minute's end.
    let resp = auth(c.get(format!("{}{RATINGS}", sim.base_url())))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 200);
    assert_eq!(num(&resp, "ratelimit-limit"), 700);
    // 10 exports and this list.
    assert_eq!(num(&resp, "ratelimit-remaining"), 689);
    assert_eq!(num(&resp, "x-rate-limit-remaining"), 689);
    let reset = num(&resp, "ratelimit-reset");
    assert!(
        reset <= retry_after && reset + 1 >= retry_after,
        "{reset} vs {retry_after}"
    );
    assert_eq!(sim.stats().rate_limited, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_client_that_waits_for_the_minutes_end_never_gets_429() {
    // Speed 60: a vendor minute lasts a second.
    let cfg = SimConfig {
        limits: Limits {
            speed: 60.0,
            ..Limits::default()
        },
        ..small(7)
    };
    let (sim, _) = start(cfg).await;
    let c = client();
    let exports = format!("{}{USERS}?start_time=0&per_page=5", sim.base_url());
    let ratings = format!("{}{RATINGS}", sim.base_url());
    for _ in 0..3 {
        // The minute's 10 exports at once...
        for _ in 0..10 {
            let resp = auth(c.get(&exports)).send().await.expect("req");
            assert_eq!(resp.status(), 200);
        }
        // ...then, as the list endpoint's `ratelimit-reset` says, until the minute ends
        // (whole seconds rounded up: never before the end).
        let resp = auth(c.get(&ratings)).send().await.expect("req");
        let reset = num(&resp, "ratelimit-reset");
        assert_eq!(reset, 1, "what is left of a second at speed 60, rounded up");
        tokio::time::sleep(Duration::from_secs(reset)).await;
    }
    assert_eq!(sim.stats().rate_limited, 0);
    sim.shutdown().await;
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Ok,
    Repeated,
    Truncated,
    ServerError(u16),
    Dropped,
}

/// Requests the second ratings page `n` times and classifies each answer.
async fn hammer(sim: &RunningSimulator, n: usize) -> Vec<Outcome> {
    let c = client();
    let base = sim.base_url();
    let first = format!("{base}{RATINGS}?start_time=0&page[size]=5");
    let mut body = None;
    for _ in 0..50 {
        let r = auth(c.get(&first)).send().await;
        if let Ok(r) = r
            && r.status() == 200
            && let Ok(v) = r.json::<Value>().await
        {
            body = Some(v);
            break;
        }
    }
    let body = body.expect("a clean first page");
    let expected_first = body["satisfaction_ratings"][4]["id"].as_i64().expect("id");
    let next = body["links"]["next"].as_str().expect("next").to_string();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let o = match auth(c.get(&next)).send().await {
            Err(_) => Outcome::Dropped,
            Ok(r) if r.status().is_server_error() => Outcome::ServerError(r.status().as_u16()),
            Ok(r) => {
                assert_eq!(r.status(), 200);
                match r.bytes().await {
                    Err(_) => Outcome::Truncated,
                    Ok(b) => match serde_json::from_slice::<Value>(&b) {
                        Err(_) => Outcome::Truncated,
                        Ok(v) => {
                            let first_id = v["satisfaction_ratings"][0]["id"].as_i64();
                            if first_id <= Some(expected_first) {
                                Outcome::Repeated
                            } else {
                                Outcome::Ok
                            }
                        }
                    },
                }
            }
        };
        out.push(o);
    }
    out
}

fn faulty(seed: u64) -> SimConfig {
    SimConfig {
        faults: Faults {
            slow_delay: Duration::from_millis(2),
            ..Faults::all(0.1)
        },
        ..small(seed)
    }
}

#[tokio::test]
async fn faults_happen_at_their_rates_and_are_deterministic_for_a_seed() {
    let n = 1000;
    let data = Arc::new(Dataset::generate(&faulty(8)));
    let sim = Simulator::start(data.clone(), faulty(8))
        .await
        .expect("start");
    let a = hammer(&sim, n).await;
    let stats = sim.stats();
    sim.shutdown().await;
    let count = |f: &dyn Fn(&Outcome) -> bool| a.iter().filter(|o| f(o)).count();
    let dropped = count(&|o| *o == Outcome::Dropped);
    let errors = count(&|o| matches!(o, Outcome::ServerError(_)));
    let truncated = count(&|o| *o == Outcome::Truncated);
    let repeated = count(&|o| *o == Outcome::Repeated);
    let band = 60..=140;
    assert!(band.contains(&dropped), "dropped {dropped}");
    assert!(band.contains(&errors), "5xx {errors}");
    assert!(band.contains(&truncated), "truncated {truncated}");
    // Repeats only show on pages that were answered in full (70 % of them).
    assert!((40..=110).contains(&repeated), "repeated {repeated}");
    assert!(a.contains(&Outcome::ServerError(500)) && a.contains(&Outcome::ServerError(503)));
    assert!((60..=140).contains(&stats.slow), "slow {}", stats.slow);
    // The server's own counts agree with what the client saw (the first page may have
    // needed retries).
    assert!(stats.dropped as usize >= dropped && stats.dropped as usize <= dropped + 50);
    assert!(stats.truncated as usize >= truncated);
    assert!(stats.faults_injected() > 0);

    // Same seed, same sequence; another seed, another one.
    let sim = Simulator::start(data.clone(), faulty(8))
        .await
        .expect("start");
    let b = hammer(&sim, n).await;
    sim.shutdown().await;
    assert_eq!(a, b);
    let sim = Simulator::start(data, faulty(9)).await.expect("start");
    let c = hammer(&sim, n).await;
    sim.shutdown().await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn repeated_records_are_exact_copies_of_earlier_ones() {
    let cfg = SimConfig {
        faults: Faults {
            repeat_records: 0.5,
            ..Faults::default()
        },
        ..small(10)
    };
    let (sim, data) = start(cfg).await;
    let truth = data.truth();
    let c = client();
    let (tickets, _) = cursor_export(&c, sim.base_url(), TICKETS, "tickets", "&per_page=50").await;
    let mut by_id: HashMap<i64, &Value> = HashMap::new();
    for t in &tickets {
        let id = t["id"].as_i64().expect("id");
        if let Some(old) = by_id.insert(id, t) {
            assert_eq!(old, t);
        }
    }
    assert_eq!(by_id.len(), truth.ticket_count());
    assert!(
        tickets.len() > truth.ticket_count(),
        "some tickets were repeated"
    );
    let (audits, _) = events_export(&c, sim.base_url(), 100).await;
    assert_eq!(audits.len(), data.record_counts().2);
    assert!(sim.stats().repeated > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let (sim, _) = start(small(11)).await;
    let url = format!("{}{USERS}?start_time=0", sim.base_url());
    let addr = sim.addr();
    drop(sim);
    // The server task is aborted, and its listener closed, once the runtime gets to it.
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{addr} still accepts connections {WAIT:?} after the handle was dropped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let c = reqwest::Client::builder()
        .timeout(WAIT)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    assert!(auth(c.get(&url)).send().await.is_err());
}

#[tokio::test]
async fn exclude_deleted_leaves_deleted_tickets_out() {
    let (sim, data) = start(small(12)).await;
    let truth = data.truth();
    let c = client();
    let (tickets, _) = cursor_export(
        &c,
        sim.base_url(),
        TICKETS,
        "tickets",
        "&per_page=100&exclude_deleted=true",
    )
    .await;
    let deleted = truth
        .tickets
        .iter()
        .filter(|t| t.vendor_status == "deleted")
        .count();
    assert!(deleted > 0);
    assert_eq!(tickets.len(), truth.ticket_count() - deleted);
    assert!(tickets.iter().all(|t| t["status"] != "deleted"));
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let cfg = SimConfig {
        faults: Faults {
            slow: 1.0,
            slow_delay: Duration::from_millis(400),
            ..Faults::default()
        },
        ..small(13)
    };
    let (sim, _) = start(cfg).await;
    let url = format!("{}{USERS}?start_time=0&per_page=3", sim.base_url());
    let pending = tokio::spawn(async move { auth(client().get(url)).send().await });
    // In flight once the server has it in its slow delay (counted before the delay).
    let deadline = tokio::time::Instant::now() + WAIT;
    while sim.stats().slow == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the request did not reach the server within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sim.shutdown().await;
    let resp = pending.await.expect("task").expect("answered");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn ratings_prev_link_leads_back_to_the_page_before() {
    let (sim, _) = start(small(14)).await;
    let c = client();
    let base = sim.base_url();
    let p1 = get(
        &c,
        &format!("{base}{RATINGS}?start_time=0&sort=created_at&page[size]=9"),
    )
    .await;
    assert!(p1["links"]["prev"].is_null());
    let p2 = get(&c, p1["links"]["next"].as_str().expect("next")).await;
    let prev = p2["links"]["prev"].as_str().expect("prev");
    assert!(prev.starts_with(base));
    let back = get(&c, prev).await;
    assert_eq!(back["satisfaction_ratings"], p1["satisfaction_ratings"]);
    assert_eq!(
        p2["meta"]["before_cursor"]
            .as_str()
            .map(str::len)
            .map(|n| n > 0),
        Some(true)
    );
    sim.shutdown().await;
}
