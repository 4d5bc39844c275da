//! `deskpulse-simulator`: serves a generated Zendesk account (and the business's Trustpilot and
//! Google Business Profile reviews, Facebook Page and X account) on 127.0.0.1 until Ctrl-C, for benchmarks that must keep
//! the simulator out of the measured process, and for poking at the APIs by hand. Prints one
//! JSON line with the base URL, the credentials and the record counts.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Parser;
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Faults, Limits, ReviewPlatform, SimConfig, Simulator,
    SocialPlatform, default_now,
};

/// Serve a simulated Zendesk account (generated from a seed) on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Seed of the data and of the faults.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Days of history.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Mean tickets a day.
    #[arg(long, default_value_t = 40.0)]
    tickets_per_day: f64,
    /// Human agents.
    #[arg(long, default_value_t = 8)]
    agents: u32,
    /// No trigger replies or automation solves.
    #[arg(long)]
    no_bots: bool,
    /// The simulator's "now" (RFC 3339); default 2026-11-23T06:00:00Z.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Speed factor of the rate limits (60: a vendor minute lasts a second).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Turn the rate limits off.
    #[arg(long)]
    no_limits: bool,
    /// Every fault kind at this rate (0..1).
    #[arg(long, default_value_t = 0.0)]
    faults: f64,
    /// Agent e-mail of the accepted API token.
    #[arg(long, default_value = "demo@example.com")]
    email: String,
    /// Accepted API token (also accepted as a Bearer token).
    #[arg(long, default_value = "sim-token")]
    token: String,
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let cfg = SimConfig {
        seed: a.seed,
        now: a.now.unwrap_or_else(default_now),
        data: DataConfig {
            days: a.days,
            tickets_per_day: a.tickets_per_day,
            agents: a.agents,
            bots: !a.no_bots,
            ..DataConfig::default()
        },
        credentials: Credentials {
            email: a.email.clone(),
            token: a.token.clone(),
            ..Credentials::default()
        },
        limits: if a.no_limits {
            Limits::off()
        } else {
            Limits {
                speed: a.speed,
                ..Limits::default()
            }
        },
        faults: if a.faults > 0.0 {
            Faults {
                slow_delay: Duration::from_millis(500),
                ..Faults::all(a.faults)
            }
        } else {
            Faults::default()
        },
        port: Some(a.port),
        ..SimConfig::default()
    };
    let data = Arc::new(Dataset::generate(&cfg));
    let truth = data.truth();
    let creds = cfg.credentials.clone();
    let sim = match Simulator::start(data.clone(), cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", a.port);
            std::process::exit(1);
        }
    };
    let line = serde_json::json!({
        "base_url": sim.base_url(),
        "email": a.email,
        "token": a.token,
        "now": data.now().to_rfc3339(),
        "tickets": truth.ticket_count(),
        "comments": truth.comment_count(),
        "status_changes": truth.status_change_count(),
        "ratings": truth.rating_count(),
        "ratings_answered": truth.ratings_answered(),
        "users": truth.user_count(),
        "trustpilot": {
            "base_url": sim.trustpilot_base_url(),
            "api_key": creds.trustpilot_api_key,
            "business_unit_id": creds.trustpilot_business_unit,
            "reviews": truth.reviews_of(ReviewPlatform::Trustpilot).count(),
        },
        "google_business_profile": {
            "base_url": sim.base_url(),
            "token_url": sim.google_token_url(),
            "client_id": creds.google_client_id,
            "client_secret": creds.google_client_secret,
            "refresh_token": creds.google_refresh_token,
            "account_id": creds.google_account_id,
            "location_id": creds.google_location_id,
            "reviews": truth.reviews_of(ReviewPlatform::GoogleBusinessProfile).count(),
        },
        "facebook_page": {
            "base_url": sim.facebook_base_url(),
            "page_id": creds.facebook_page_id,
            "access_token": creds.facebook_page_token,
            "interactions": truth.social_of(SocialPlatform::FacebookPage).count(),
        },
        "x": {
            "base_url": sim.x_base_url(),
            "user_id": creds.x_user_id,
            "bearer_token": creds.x_bearer_token,
            "mentions": truth.social_of(SocialPlatform::X).count(),
        },
    });
    println!("{line}");
    let _ = tokio::signal::ctrl_c().await;
    let stats = sim.stats();
    eprintln!(
        "served {} requests ({} rate-limited, {} faults)",
        stats.requests,
        stats.rate_limited,
        stats.faults_injected()
    );
    sim.shutdown().await;
}
