//! The dashboard in a real browser: `deskpulse demo` keeps its SQLite file and writes its
//! configuration, a hostile agent name and a hostile review text are stored next to the
//! demo's data, `deskpulse serve` runs on it, and Debian's Chromium (headless, driven through
//! chromedriver) opens `/`, follows the team, steps to the previous week and opens an agent.
//! What each page shows is checked against `deskpulse report --format json`, the hostile
//! strings are checked as text in the DOM (never markup), and every page is screenshot to
//! `target/dashboard-screenshot/` (or `$DESKPULSE_SCREENSHOT_DIR`), which `cargo xtask
//! dashboard-screenshot` runs this test for.
//!
//! Without `chromium` and `chromedriver` on the PATH the test says `SKIPPED` and why.
// The `SKIPPED` line and where the screenshots went are for the person running the test.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::{Duration as Days, Utc};
use deskpulse_model::{Agent, Batch, Checkpoint, PeriodSpec, Record, Review};
use deskpulse_storage::Store;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::{BIN, DEADLINE, Env, poll_until, text};

pub const HOSTILE_AGENT: &str = "<img src=x onerror=alert(1)>";
pub const HOSTILE_REVIEW: &str =
    "<img src=x onerror=alert('review')> </p><script>alert(2)</script>";

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    match std::env::var_os("DESKPULSE_SCREENSHOT_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshot"),
    }
}

/// The demo's data, with the hostile strings added, and its configuration.
pub struct DemoData {
    pub env: Env,
    pub config: PathBuf,
    /// The last complete week, and the one before.
    pub week: PeriodSpec,
    pub previous: PeriodSpec,
    /// The agent renamed to [`HOSTILE_AGENT`]: the one who solved most in `previous`.
    pub agent_id: String,
}

impl DemoData {
    /// `deskpulse report --format json` of `period`, parsed, and as printed.
    pub async fn report(&self, period: PeriodSpec) -> (Value, String) {
        let config = self.config.display().to_string();
        let p = period.to_string();
        let args = [
            "--config", &config, "report", "--period", &p, "--format", "json",
        ];
        let out = self.env.run(&args, &[]).await;
        assert!(out.status.success(), "report failed: {}", text(&out.stderr));
        let printed = text(&out.stdout);
        (
            serde_json::from_str(&printed).expect("report JSON"),
            printed,
        )
    }
}

/// Runs the demo into `database` (a small quarter, "now" the real time so the dashboard's
/// default week has data) and adds the hostile strings to its data.
pub async fn demo_data(database: Option<&str>) -> DemoData {
    let env = Env::new();
    let db = database.map_or_else(|| env.sqlite_url(), str::to_owned);
    let args = [
        "demo",
        "--days",
        "28",
        "--tickets-per-day",
        "12",
        "--database",
        &db,
    ];
    let out = env.run(&args, &[]).await;
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("dashboard: deskpulse serve --config "))
        .unwrap_or_else(|| panic!("the demo prints how to open the dashboard:\n{stdout}"));
    let config = PathBuf::from(line.split(" — ").next().unwrap_or(line));
    assert!(config.is_file(), "{}", config.display());
    let week = PeriodSpec::last_complete_week(Utc::now(), chrono_tz::Europe::Berlin);
    let previous = week.previous();
    let mut data = DemoData {
        env,
        config,
        week,
        previous,
        agent_id: String::new(),
    };
    let (prev, _) = data.report(previous).await;
    let busiest = prev["agents"]
        .as_array()
        .and_then(|a| a.iter().max_by_key(|x| x["solved"].as_u64().unwrap_or(0)))
        .expect("agents in the previous week");
    data.agent_id = busiest["id"].as_str().expect("an agent id").to_owned();
    let store = Store::open(&db).await.expect("the demo's database");
    add_hostile_strings(&store, &data.agent_id, week).await;
    store.close().await;
    data
}

/// Renames the agent and adds a one-star review with a hostile text at the end of `week`
/// (so it is the week's newest lowest-rated review, quoted first).
async fn add_hostile_strings(store: &Store, agent_id: &str, week: PeriodSpec) {
    let (source, external) = agent_id.split_once(':').expect("source:id");
    let agent = Record::Agent(Agent {
        external_id: external.to_owned(),
        name: HOSTILE_AGENT.to_owned(),
        is_bot: false,
    });
    let batch = |records| Batch {
        records,
        checkpoint: Checkpoint::new(serde_json::json!({ "e2e": true })),
    };
    // A stream name of its own: the demo's checkpoints stay as they are.
    let renamed = batch(vec![agent]);
    let commit = store.commit_batch(source, "e2e-hostile", &renamed);
    commit.await.expect("rename the agent");
    let end = week.in_zone(chrono_tz::Europe::Berlin).end;
    let review = Record::Review(Review {
        platform: "trustpilot".into(),
        external_id: "e2e-hostile-review".into(),
        rating: 1.0,
        title: None,
        text: Some(HOSTILE_REVIEW.into()),
        author_name: Some(HOSTILE_AGENT.into()),
        created_at: end - Days::minutes(1),
        reply_text: None,
        replied_at: None,
        url: Some("javascript:alert(3)".into()),
    });
    let added = batch(vec![review]);
    let commit = store.commit_batch("demo-trustpilot", "e2e-hostile", &added);
    commit.await.expect("add the review");
}

/// A `deskpulse serve` process; its address from the line it prints.
pub struct Served {
    _child: tokio::process::Child,
    pub base: String,
    log: PathBuf,
}

impl Served {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Starts `deskpulse serve --config CONFIG --listen 127.0.0.1:0 EXTRA…` with `vars` in its
/// environment, and waits for the address it prints.
pub async fn serve(env: &Env, config: &Path, extra: &[&str], vars: &[(&str, &str)]) -> Served {
    let log = env.dir.path().join("serve.log");
    let mut cmd = tokio::process::Command::new(BIN);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .current_dir(env.dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn deskpulse serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("serve printed nothing within {DEADLINE:?}"))
        .expect("read stdout")
        .unwrap_or_else(|| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("serve exited without a word:\n{log}")
        });
    let base = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Served {
        _child: child,
        base,
        log,
    }
}

/// chromedriver on a free port and a headless Chromium session through it.
struct Browser {
    _driver: tokio::process::Child,
    client: Client,
    shots: PathBuf,
}

impl Browser {
    async fn start(chromium: &Path, chromedriver: &Path, profile: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = tokio::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn chromedriver");
        let status = format!("http://127.0.0.1:{port}/status");
        let up = poll_until(DEADLINE, || {
            let status = status.clone();
            async move {
                reqwest::get(&status)
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            }
        });
        assert!(
            up.await.is_some(),
            "chromedriver did not answer on port {port}"
        );
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking", "--disable-sync",
                    "--disable-component-update", "--hide-scrollbars", "--window-size=1280,2400",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let shots = screenshot_dir();
        std::fs::create_dir_all(&shots).expect("the screenshot directory");
        Browser {
            _driver: driver,
            client,
            shots,
        }
    }

    async fn text(&self, css: &str) -> String {
        let e = self.client.find(Locator::Css(css)).await;
        let e = e.unwrap_or_else(|e| panic!("no {css}: {e}"));
        e.text().await.expect("element text")
    }

    async fn click(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await;
        let e = e.unwrap_or_else(|e| panic!("no {css}: {e}"));
        e.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Every element matching `css` whose text is exactly `s`.
    async fn with_text(&self, css: &str, s: &str) -> usize {
        let all = self.client.find_all(Locator::Css(css)).await.expect("find");
        let mut n = 0;
        for e in all {
            if e.text().await.expect("text") == s {
                n += 1;
            }
        }
        n
    }

    async fn shot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.shots.join(name);
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// No markup from the data ran or rendered: no `img` and no `script` element, no alert.
    async fn nothing_injected(&self, page: &str) {
        for tag in ["img", "script"] {
            let n = self.client.find_all(Locator::Css(tag)).await.expect("find");
            assert!(
                n.is_empty(),
                "{page}: {} <{tag}> element(s) in the DOM",
                n.len()
            );
        }
        assert!(
            self.client.get_alert_text().await.is_err(),
            "{page}: an alert is open"
        );
    }
}

/// The report JSON value a KPI row of the team's page shows (`data-kpi` → JSON pointer).
fn pointer(kpi: &str) -> Option<&'static str> {
    Some(match kpi {
        "ticket_volume" => "/kpis/ticket_volume/value",
        "solved" => "/kpis/solved/value",
        "backlog" => "/kpis/backlog/value",
        "first_response_time" => "/kpis/first_response_time/median_seconds",
        "reply_time" => "/kpis/reply_time/median_seconds",
        "resolution_time" => "/kpis/resolution_time/median_seconds",
        "first_resolution_time" => "/kpis/first_resolution_time/median_seconds",
        "one_touch_resolution_rate" => "/kpis/one_touch_resolution_rate/value",
        "first_contact_resolution_rate" => "/kpis/first_contact_resolution_rate/value",
        "automated_resolution_rate" => "/kpis/automated_resolution_rate/value",
        "reopen_rate" => "/kpis/reopen_rate/value",
        "csat" => "/kpis/csat/value",
        "nps" => "/kpis/nps/value",
        "ces" => "/kpis/ces/value",
        "complaints" => "/kpis/complaints/value",
        "reviews" => "/kpis/reviews/n",
        "public_response_rate" => "/kpis/public_response/rate",
        "public_response_time" => "/kpis/public_response/median_seconds",
        _ => return None,
    })
}

/// Every KPI row of the team's page against the report JSON of its period.
async fn kpis_match(b: &Browser, report: &Value) -> usize {
    let rows = b.client.find_all(Locator::Css("#kpis tr[data-kpi]")).await;
    let mut checked = 0;
    for row in rows.expect("KPI rows") {
        let kpi = row
            .attr("data-kpi")
            .await
            .expect("attr")
            .unwrap_or_default();
        let Some(ptr) = pointer(&kpi) else { continue };
        let cell = row
            .find(Locator::Css("td.value"))
            .await
            .expect("a value cell");
        let raw = cell
            .attr("data-raw")
            .await
            .expect("attr")
            .unwrap_or_default();
        let want = report
            .pointer(ptr)
            .unwrap_or_else(|| panic!("no {ptr} in the report"));
        match (raw.as_str(), want.as_f64()) {
            ("null", None) => {}
            (shown, Some(w)) => {
                let shown: f64 = shown.parse().unwrap_or_else(|_| panic!("{kpi}: {shown:?}"));
                assert!(
                    (shown - w).abs() < 1e-9,
                    "{kpi}: the page {shown}, the report {w}"
                );
            }
            (shown, None) => panic!("{kpi}: the page {shown}, the report {want}"),
        }
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn a_browser_walks_the_dashboard_and_sees_the_report() {
    let (Some(chromium), Some(chromedriver)) = (
        on_path(&["chromium", "chromium-browser"]),
        on_path(&["chromedriver"]),
    ) else {
        eprintln!(
            "SKIPPED: the dashboard browser test needs Debian's `chromium` and `chromium-driver` \
             (apt-get install -y chromium chromium-driver); `.ci/run` installs them"
        );
        return;
    };
    let data = demo_data(None).await;
    let (week, week_json) = data.report(data.week).await;
    let (previous, _) = data.report(data.previous).await;
    let served = serve(&data.env, &data.config, &[], &[]).await;
    let profile = data.env.dir.path().join("chromium-profile");
    let b = Browser::start(&chromium, &chromedriver, &profile).await;
    let c = &b.client;

    // The API serves exactly what `report --format json` prints.
    let api = format!("{}/api/teams/demo/report?period={}", served.base, data.week);
    let body = reqwest::get(&api)
        .await
        .expect("the API")
        .text()
        .await
        .expect("text");
    assert_eq!(body, week_json, "the API and `report --format json` differ");

    // `/`: the team and its last complete week.
    c.goto(&format!("{}/", served.base)).await.expect("open /");
    b.shot("overview.png").await;
    assert_eq!(b.text(".team-card .period").await, data.week.to_string());
    let volume = week["kpis"]["ticket_volume"]["value"]
        .as_u64()
        .expect("volume");
    let tile = b
        .text(".team-card [data-kpi=\"ticket_volume\"] .value")
        .await;
    assert_eq!(tile, volume.to_string(), "the overview's ticket volume");
    b.nothing_injected("/").await;

    // The team's page, the last complete week.
    b.click(".team-card a.team-link").await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), "/teams/demo", "{url}");
    assert_eq!(b.text("#period").await, data.week.to_string());
    let checked = kpis_match(&b, &week).await;
    assert!(checked >= 15, "only {checked} KPI rows checked");
    b.shot("team.png").await;
    // The hostile review is quoted as text, never as markup.
    let quoted = b.with_text("#reviews .review-text", HOSTILE_REVIEW).await;
    assert!(
        quoted >= 1,
        "the hostile review is shown as its literal text"
    );
    b.nothing_injected("the team's page").await;

    // The previous week.
    b.click("a#previous").await;
    assert_eq!(b.text("#period").await, data.previous.to_string());
    let checked = kpis_match(&b, &previous).await;
    assert!(checked >= 15, "only {checked} KPI rows checked");
    let agent = format!(
        "a.agent-link[href*=\"{}\"]",
        data.agent_id.replace(':', "%3A")
    );
    assert_eq!(
        b.text(&agent).await,
        HOSTILE_AGENT,
        "the agent's name is literal text"
    );
    b.nothing_injected("the previous week").await;
    b.shot("team-previous-week.png").await;

    // The agent's page.
    b.click(&agent).await;
    assert_eq!(b.text("#agent-name").await, HOSTILE_AGENT);
    let title = c.title().await.expect("title");
    assert!(
        title.contains(HOSTILE_AGENT),
        "the title is text: {title:?}"
    );
    let row = previous["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == data.agent_id.as_str()))
        .expect("the agent in the report");
    let solved = b.text("#agent-kpis tr[data-kpi=\"solved\"] td.value").await;
    assert_eq!(
        solved,
        row["solved"].to_string(),
        "the agent's solved tickets"
    );
    let n = b.text("#agent-kpis tr[data-kpi=\"csat\"] td.n").await;
    assert_eq!(
        n,
        row["csat"]["n"].to_string(),
        "the agent's CSAT responses"
    );
    b.nothing_injected("the agent's page").await;
    let shot = b.shot("agent.png").await;

    // The response headers a browser relies on.
    let r = reqwest::get(&format!("{}/teams/demo", served.base))
        .await
        .expect("page");
    assert_eq!(r.headers()["content-security-policy"], deskpulse_serve::CSP);
    let _ = c.clone().close().await;
    eprintln!(
        "screenshots in {}",
        shot.parent().unwrap_or(&shot).display()
    );
    assert!(
        served.log().is_empty() || !served.log().contains("ERROR"),
        "{}",
        served.log()
    );
}
