//! `deskpulse check`: is everything in place for `sync`, `report` and `digest send`? One
//! line per item, `ok` or `FAIL` and what to fix, in this order:
//!
//! 1. the configuration file (it loads and validates; every e-mail channel has `[smtp]`);
//! 2. the database: reachable and its schema up to date (opened as every command opens it,
//!    which applies pending migrations; a SQLite file that does not exist is not created),
//!    and no digest claimed but never confirmed;
//! 3. each source's credentials, by one cheap authenticated call: the first page of the
//!    source's cheapest stream ([`probe_stream`]) at a page size of 1, read and dropped —
//!    nothing is stored and no checkpoint moves;
//! 4. the SMTP server, when a team has an e-mail channel: its settings, then the digest's
//!    own SMTP client connects, says EHLO, sets up TLS (`tls`, or STARTTLS) and logs in,
//!    and says QUIT — nothing is sent;
//! 5. each Slack channel's webhook URL: well-formed, never posted to.
//!
//! Exit code 0 when every item passes, 2 when a failing item is a configuration error, 1
//! otherwise. No line carries a secret: connector and storage errors never do, a webhook is
//! named by its host only, and SMTP errors are redacted by the digest crate.

use crate::CommandError;
use crate::config::{ChannelSettings, Settings, SmtpSecurity, SourceSettings};
use deskpulse_digest::delivery::{SlackWebhook, SmtpSender};
use deskpulse_storage::{DeliveryState, Store};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one source's probe may take (the connector's own retries included).
const SOURCE_TIMEOUT: Duration = Duration::from_secs(120);

/// How an item came out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok(String),
    /// Something to fix in the configuration (exit code 2).
    Config(String),
    /// Something to fix elsewhere: credentials, network, database (exit code 1).
    Fail(String),
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    what: String,
    outcome: Outcome,
}

impl Item {
    fn new(what: impl Into<String>, outcome: Outcome) -> Self {
        Item {
            what: what.into(),
            outcome,
        }
    }

    fn line(&self) -> String {
        match &self.outcome {
            Outcome::Ok(d) => format!("ok    {}: {d}", self.what),
            Outcome::Config(d) | Outcome::Fail(d) => format!("FAIL  {}: {d}", self.what),
        }
    }
}

pub(crate) async fn run(config_path: &Path) -> Result<(), CommandError> {
    let settings = match Settings::load(config_path) {
        Ok(s) => s,
        Err(e) => {
            let item = Item::new(
                format!("configuration {}", config_path.display()),
                Outcome::Config(e.to_string()),
            );
            println!("{}", item.line());
            return Err(CommandError::Usage(
                "the configuration cannot be used: fix it, then run check again".to_owned(),
            ));
        }
    };
    let mut items = vec![configuration(&settings)];
    println!("{}", items[0].line());
    for item in database(&settings).await {
        println!("{}", item.line());
        items.push(item);
    }
    // Sources are probed concurrently (each waits on its own vendor), reported in order.
    let probes = futures::future::join_all(settings.sources.iter().map(source)).await;
    for item in probes {
        println!("{}", item.line());
        items.push(item);
    }
    if let Some(item) = smtp(&settings).await {
        println!("{}", item.line());
        items.push(item);
    }
    for item in slack(&settings) {
        println!("{}", item.line());
        items.push(item);
    }
    let failed = items
        .iter()
        .filter(|i| !matches!(i.outcome, Outcome::Ok(_)))
        .count();
    let summary = format!("{failed} of {} checks failed", items.len());
    if items
        .iter()
        .any(|i| matches!(i.outcome, Outcome::Config(_)))
    {
        Err(CommandError::Usage(summary))
    } else if failed > 0 {
        Err(CommandError::Runtime(summary))
    } else {
        Ok(())
    }
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// The file loaded (that validated it); here what `digest send` would refuse on top.
fn configuration(s: &Settings) -> Item {
    let what = format!("configuration {}", s.path.display());
    let mailing: Vec<String> = s
        .teams
        .iter()
        .filter(|t| {
            t.channels
                .iter()
                .any(|c| matches!(c, ChannelSettings::Email { .. }))
        })
        .map(|t| format!("{:?}", t.name))
        .collect();
    if s.smtp.is_none() && !mailing.is_empty() {
        return Item::new(
            what,
            Outcome::Config(format!(
                "team {} sends e-mail but there is no [smtp] section: add one with host, port, \
                 security, username, password and from",
                mailing.join(", ")
            )),
        );
    }
    Item::new(
        what,
        Outcome::Ok(format!(
            "{}, {}",
            plural(s.teams.len(), "team"),
            plural(s.sources.len(), "source")
        )),
    )
}

// ---- the database ----

/// The SQLite file of a `sqlite:` URL; `None` for an in-memory database or another scheme.
pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    let lower = url.to_ascii_lowercase();
    if !lower.starts_with("sqlite:") || lower.contains(":memory:") || lower.contains("mode=memory")
    {
        return None;
    }
    let rest = &url["sqlite:".len()..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// The database as it may be shown: a SQLite path, or a URL without its password.
pub(crate) fn database_label(url: &str) -> String {
    if let Some(p) = sqlite_path(url) {
        return p.display().to_string();
    }
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, tail) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split_once(':').map_or(user, |(u, _)| u);
                    format!("{scheme}://{user}@{host}{tail}")
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

async fn database(s: &Settings) -> Vec<Item> {
    let url = &s.database.url;
    let what = format!("database {}", database_label(url));
    if let Some(path) = sqlite_path(url)
        && !path.exists()
    {
        return vec![Item::new(
            what,
            Outcome::Fail(
                "the file does not exist: run `deskpulse init` (or a first `deskpulse sync`) \
                 to create it, or fix [database] url"
                    .to_owned(),
            ),
        )];
    }
    let store = match Store::open(url).await {
        Ok(s) => s,
        Err(e) => return vec![Item::new(what, Outcome::Fail(e.to_string()))],
    };
    let mut items = Vec::new();
    match store.schema_version().await {
        Ok((applied, known)) if applied == Some(known) => items.push(Item::new(
            what,
            Outcome::Ok(format!(
                "reachable ({}), schema up to date (migration {known})",
                store.backend()
            )),
        )),
        Ok((applied, known)) => items.push(Item::new(
            what,
            Outcome::Fail(format!(
                "the schema is at migration {}, this deskpulse knows {known}: run any \
                 deskpulse command against it to migrate it, or use the deskpulse that migrated it",
                applied.map_or_else(|| "none".to_owned(), |v| v.to_string())
            )),
        )),
        Err(e) => items.push(Item::new(what, Outcome::Fail(e.to_string()))),
    }
    for team in &s.teams {
        let Ok(rows) = store.deliveries(&team.name).await else {
            continue;
        };
        for d in rows.iter().filter(|d| d.state == DeliveryState::Sending) {
            let hours = (chrono::Utc::now() - d.claimed_at).num_hours();
            items.push(Item::new(
                format!(
                    "digest of team {:?}, {}, channel {}",
                    d.team, d.period, d.channel
                ),
                Outcome::Fail(format!(
                    "claimed {hours} h ago and never confirmed (the send may or may not have \
                     arrived): look in the channel, and if it is missing run `deskpulse digest \
                     send --team {} --period {} --channel {} --force`",
                    d.team, d.period, d.channel
                )),
            ));
        }
    }
    store.close().await;
    items
}

// ---- sources ----

/// The stream whose first page is the cheapest authenticated call of the source's kind
/// (its factory's `PROBE_STREAM`, else its first stream). Never a checkpointed position:
/// the page is read from the start and dropped.
fn probe_stream(s: &SourceSettings) -> &'static str {
    crate::connectors::find(&s.kind).map_or("", |k| k.factory.probe_stream())
}

/// The source's settings with a page size of 1, where its kind has that setting.
fn one_per_page(s: &SourceSettings) -> SourceSettings {
    let mut probe = s.clone();
    let has_page_size =
        crate::connectors::find(&s.kind).is_some_and(|k| (k.keys)().contains(&"page_size"));
    if has_page_size && let Some(map) = probe.settings.0.as_object_mut() {
        map.insert("page_size".to_owned(), serde_json::json!(1));
    }
    probe
}

async fn source(s: &SourceSettings) -> Item {
    let what = format!("source {} ({})", s.name, s.kind);
    let connector =
        match crate::connectors::build(&one_per_page(s)).or_else(|_| crate::connectors::build(s)) {
            Ok(c) => c,
            Err((key, detail)) => {
                return Item::new(what, Outcome::Config(format!("`{key}`: {detail}")));
            }
        };
    let stream = probe_stream(s);
    let first = tokio::time::timeout(SOURCE_TIMEOUT, async {
        let mut pages = connector.read(stream, None);
        pages.next().await
    })
    .await;
    let outcome = match first {
        Err(_) => Outcome::Fail(format!(
            "no answer within {} s while reading the first page of {stream}: check base_url \
             and the network, and whether the vendor is up",
            SOURCE_TIMEOUT.as_secs()
        )),
        Ok(None) => Outcome::Ok(format!(
            "{stream} read, no page (nothing stored, no checkpoint moved)"
        )),
        Ok(Some(Ok(batch))) => Outcome::Ok(format!(
            "credentials accepted: read the first page of {stream} ({}; nothing stored, no \
             checkpoint moved)",
            plural(batch.records.len(), "record")
        )),
        Ok(Some(Err(e))) if e.is_unauthorized() => Outcome::Fail(format!(
            "{e}: check the credentials in [[sources]] {} (keys: {})",
            s.name,
            credential_keys(s)
        )),
        Ok(Some(Err(e))) => Outcome::Fail(format!(
            "{e} (while reading the first page of {stream}): check base_url and the network"
        )),
    };
    Item::new(what, outcome)
}

/// The credential keys the source's entry uses (names only).
fn credential_keys(s: &SourceSettings) -> String {
    const SECRETISH: &[&str] = &[
        "subdomain",
        "domain",
        "email",
        "api_token",
        "api_key",
        "oauth_token",
        "access_token",
        "client_id",
        "client_secret",
        "region",
    ];
    let keys: Vec<&str> = s
        .settings
        .0
        .as_object()
        .map(|m| {
            m.keys()
                .map(String::as_str)
                .filter(|k| SECRETISH.contains(k))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        "see `deskpulse connectors`".to_owned()
    } else {
        keys.join(", ")
    }
}

// ---- SMTP ----

async fn smtp(s: &Settings) -> Option<Item> {
    let smtp = s.smtp.as_ref()?;
    let security = match smtp.security {
        SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
        SmtpSecurity::None => "none",
    };
    let what = format!("smtp {}:{} ({security})", smtp.host, smtp.port);
    let sender = match SmtpSender::new(&crate::digest::smtp_settings(smtp)) {
        Ok(sender) => sender,
        Err(e) => return Some(Item::new(what, Outcome::Config(format!("[smtp]: {e}")))),
    };
    // The digest's own client, so what passes here is what `digest send` does: connect,
    // EHLO, TLS (or STARTTLS) and AUTH, then QUIT — no mail transaction.
    let outcome = match sender.verify().await {
        Ok(()) => Outcome::Ok(format!(
            "connected, EHLO accepted{}{}; nothing sent",
            match smtp.security {
                SmtpSecurity::Starttls => ", STARTTLS done",
                SmtpSecurity::Tls => ", TLS done",
                SmtpSecurity::None => "",
            },
            if smtp.username.is_some() {
                ", logged in"
            } else {
                ""
            }
        )),
        Err(e) => Outcome::Fail(format!(
            "{e}: check smtp.host, smtp.port, smtp.security and the credentials"
        )),
    };
    Some(Item::new(what, outcome))
}

// ---- Slack ----

fn slack(s: &Settings) -> Vec<Item> {
    let mut out = Vec::new();
    for team in &s.teams {
        for c in &team.channels {
            if let ChannelSettings::Slack { name, webhook_url } = c {
                let what = format!("slack channel {name} of team {:?}", team.name);
                let outcome = match SlackWebhook::new(webhook_url) {
                    Err(e) => Outcome::Config(e.to_string()),
                    Ok(_) => webhook_shape(webhook_url.expose()),
                };
                out.push(Item::new(what, outcome));
            }
        }
    }
    out
}

/// Whether a webhook URL (already an https URL without credentials, or http to a loopback
/// address) looks like what Slack hands out: `https://hooks.slack.com/services/T…/B…/…`
/// (`hooks.slack-gov.com` for GovSlack). Only the host is ever shown.
fn webhook_shape(url: &str) -> Outcome {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(h, _)| h)
        .to_ascii_lowercase();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let id = |s: &str, first: u8| {
        s.len() > 1
            && s.as_bytes()[0] == first
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let incoming = segments.len() == 4
        && segments[0] == "services"
        && id(segments[1], b'T')
        && id(segments[2], b'B')
        && segments[3].len() >= 8
        && segments[3].bytes().all(|b| b.is_ascii_alphanumeric());
    let slack_host = host == "hooks.slack.com" || host == "hooks.slack-gov.com";
    let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    match (slack_host, incoming) {
        (true, true) => Outcome::Ok(format!(
            "a well-formed incoming webhook on {host} (not posted to)"
        )),
        (true, false)
            if segments
                .first()
                .is_some_and(|s| *s == "triggers" || *s == "workflows") =>
        {
            Outcome::Config(format!(
                "a Workflow Builder webhook on {host}, which takes workflow variables, not \
                 messages: create an incoming webhook (https://{host}/services/T…/B…/…) in the \
                 Slack app's \"Incoming Webhooks\" settings"
            ))
        }
        (true, false) => Outcome::Config(format!(
            "not an incoming-webhook URL (expected https://{host}/services/T…/B…/… as Slack \
             shows it under \"Incoming Webhooks\"): copy it again"
        )),
        (false, _) if loopback => Outcome::Ok(format!(
            "a loopback address ({host}): a local endpoint, not Slack (not posted to)"
        )),
        (false, _) => Outcome::Ok(format!(
            "host {host} is not Slack's (hooks.slack.com): fine for a proxy or a \
             Slack-compatible endpoint (not posted to)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_judged_by_their_shape_and_never_shown() {
        let secret = "XXXXXXXXXXXXXXXXXXXXXXXX";
        let ok = format!("https://hooks.slack.com/services/T00000000/B00000000/{secret}");
        let Outcome::Ok(d) = webhook_shape(&ok) else {
            panic!()
        };
        assert!(d.contains("hooks.slack.com") && !d.contains(secret), "{d}");
        // Slack's newer ids are longer (B + 10).
        assert!(matches!(
            webhook_shape(&format!(
                "https://hooks.slack.com/services/TH7FEDVUH/B018WQN0D2Z/{secret}"
            )),
            Outcome::Ok(_)
        ));
        for bad in [
            "https://hooks.slack.com/services/T00000000/B00000000",
            "https://hooks.slack.com/services/T00000000/X00000000/XXXXXXXXXXXXXXXX",
            "https://hooks.slack.com/T00000000/B00000000/XXXXXXXXXXXXXXXX",
        ] {
            let Outcome::Config(d) = webhook_shape(bad) else {
                panic!("{bad}")
            };
            assert!(d.contains("not an incoming-webhook URL"), "{d}");
            assert!(!d.contains("T00000000"), "{d}");
        }
        let Outcome::Config(d) =
            webhook_shape("https://hooks.slack.com/triggers/T0/123/abcdef0123456789")
        else {
            panic!()
        };
        assert!(d.contains("Workflow Builder"), "{d}");
        assert!(matches!(
            webhook_shape("http://127.0.0.1:8080/hook"),
            Outcome::Ok(d) if d.contains("loopback")
        ));
        assert!(matches!(
            webhook_shape("https://chat.example.com/hooks/abc"),
            Outcome::Ok(d) if d.contains("chat.example.com") && !d.contains("abc")
        ));
    }

    #[test]
    fn database_urls_are_shown_without_passwords() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/deskpulse.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/deskpulse.db"))
        );
        assert_eq!(
            sqlite_path("sqlite://deskpulse.db"),
            Some(PathBuf::from("deskpulse.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
        assert_eq!(
            database_label("postgres://kpi:s3cret@db.example.com:5432/deskpulse"),
            "postgres://kpi@db.example.com:5432/deskpulse"
        );
        assert_eq!(database_label("sqlite://x.db"), "x.db");
    }
}
