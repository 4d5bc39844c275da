//! A seeded week of one team, a [`Reports`] over it, and a server on a free loopback port.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use deskpulse_metrics::{TeamConfig, compute_report};
use deskpulse_model::{
    Agent, AuthorKind, Batch, Channel, Checkpoint, Message, PeriodSpec, Rating, RatingKind,
    RatingScale, Record, Review, Ticket, TicketStatus,
};
use deskpulse_serve::{
    Auth, CacheSettings, Options, ReportError, Reports, ServeSettings, Server, TeamInfo, TeamReport,
};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;

pub const TEAM: &str = "support";
pub const SOURCE: &str = "zd";
pub const HOSTILE_AGENT: &str = "<img src=x onerror=alert(1)>";
pub const HOSTILE_REVIEW: &str = "<script>alert('review')</script> & \"quotes\"";

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a time")
}

/// The databases to run on: SQLite always, Postgres when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut v = vec![TestDb::sqlite()];
    v.extend(TestDb::postgres().await);
    v
}

/// Three tickets of 2026-W46 (UTC), two agents (one with a hostile name), a CSAT answer
/// and a one-star review with a hostile text.
pub async fn seed(store: &Store) {
    let t0 = at("2026-11-10T09:00:00Z");
    let mut records = vec![
        Record::Agent(Agent {
            external_id: "100".into(),
            name: HOSTILE_AGENT.into(),
            is_bot: false,
        }),
        Record::Agent(Agent {
            external_id: "101".into(),
            name: "Bob".into(),
            is_bot: false,
        }),
    ];
    for i in 0..3i64 {
        let created = t0 + Duration::hours(i * 5);
        let id = format!("{}", 1 + i);
        let agent = if i == 0 { "100" } else { "101" };
        records.push(Record::Ticket(Ticket {
            external_id: id.clone(),
            channel: if i == 2 {
                Channel::Chat
            } else {
                Channel::Email
            },
            status: TicketStatus::Solved,
            created_at: created,
            updated_at: created + Duration::hours(2),
            first_solved_at: Some(created + Duration::hours(2)),
            final_solved_at: Some(created + Duration::hours(2)),
            reopens: Some(0),
            opened_by_agent: Some(false),
            requester_id: Some(format!("c{i}")),
            assignee_id: Some(agent.into()),
            group_id: None,
            tags: vec!["billing".into()],
            priority: None,
        }));
        records.push(Record::Message(Message {
            external_id: format!("{id}-1"),
            ticket_id: id.clone(),
            author_kind: AuthorKind::Customer,
            author_id: Some(format!("c{i}")),
            public: true,
            created_at: created,
        }));
        records.push(Record::Message(Message {
            external_id: format!("{id}-2"),
            ticket_id: id.clone(),
            author_kind: AuthorKind::Agent,
            author_id: Some(agent.into()),
            public: true,
            created_at: created + Duration::minutes(30 + 10 * i),
        }));
    }
    records.push(Record::Rating(Rating {
        external_id: "r1".into(),
        kind: RatingKind::Csat,
        score: 1.0,
        scale: RatingScale::BINARY,
        ticket_id: Some("1".into()),
        agent_id: Some("100".into()),
        comment: Some(HOSTILE_REVIEW.into()),
        created_at: t0 + Duration::hours(3),
    }));
    records.push(Record::Review(Review {
        platform: "trustpilot".into(),
        external_id: "rv1".into(),
        rating: 1.0,
        title: Some("Awful".into()),
        text: Some(HOSTILE_REVIEW.into()),
        author_name: Some(HOSTILE_AGENT.into()),
        created_at: t0 + Duration::hours(1),
        reply_text: None,
        replied_at: None,
        url: Some("javascript:alert(1)".into()),
    }));
    store
        .commit_batch(
            SOURCE,
            "all",
            &Batch {
                records,
                checkpoint: Checkpoint::new(serde_json::json!({ "page": 1 })),
            },
        )
        .await
        .expect("seed commits");
}

/// The week's report as `compute_report` gives it (no history): the server must show it.
pub struct TestReports {
    pub store: Store,
    pub teams: Vec<TeamInfo>,
    /// What [`Reports::data_version`] answers; a test moves it.
    pub version: AtomicU64,
    /// How many reports were computed.
    pub computed: AtomicU64,
}

impl TestReports {
    pub fn new(store: Store) -> Arc<TestReports> {
        Arc::new(TestReports {
            store,
            teams: vec![TeamInfo {
                name: TEAM.into(),
                timezone: chrono_tz::UTC,
                sources: vec![SOURCE.into()],
            }],
            version: AtomicU64::new(1),
            computed: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl Reports for TestReports {
    fn teams(&self) -> &[TeamInfo] {
        &self.teams
    }

    async fn report(&self, team: &str, period: PeriodSpec) -> Result<TeamReport, ReportError> {
        if team != TEAM {
            return Err(ReportError::NoTeam(team.into()));
        }
        self.computed.fetch_add(1, Ordering::SeqCst);
        let p = period.in_zone(chrono_tz::UTC);
        let input = self
            .store
            .load_report_input_for(team, &[SOURCE.into()], p.start, p.end)
            .await
            .map_err(|e| ReportError::Failed(e.to_string()))?;
        let config = TeamConfig {
            name: TEAM.into(),
            ..Default::default()
        };
        Ok(TeamReport {
            report: compute_report(&config, &p, &input),
            history: Vec::new(),
            reviews: input.reviews.iter().map(|r| r.review.clone()).collect(),
            ratings: input.ratings.iter().map(|r| r.rating.clone()).collect(),
        })
    }

    async fn data_version(&self) -> Result<u64, ReportError> {
        Ok(self.version.load(Ordering::SeqCst))
    }
}

/// A server on a free loopback port, "now" on Wednesday of 2026-W47.
pub struct Running {
    pub base: String,
    pub reports: Arc<TestReports>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn options(scrub_secret: Option<&'static str>) -> Options {
    Options {
        scrub: Arc::new(move |s: &str| match scrub_secret {
            Some(x) => s.replace(x, "[REDACTED]"),
            None => s.to_owned(),
        }),
        clock: Arc::new(|| at("2026-11-18T12:00:00Z")),
        cache: CacheSettings {
            check_every: std::time::Duration::ZERO,
            warm: false,
            ..CacheSettings::default()
        },
    }
}

pub async fn start(store: &Store, auth: Option<Auth>, options: Options) -> Running {
    let reports = TestReports::new(store.clone());
    let settings = ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        auth,
    };
    let server = Server::bind(&settings, store.clone(), reports.clone(), options)
        .await
        .expect("binds a loopback port");
    let base = format!("http://{}", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    Running {
        base,
        reports,
        stop: Some(tx),
    }
}

pub async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.expect("the server answers")
}
