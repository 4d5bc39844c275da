//! Configuration errors exit with code 2 and name the key; so do usage errors.

use crate::harness::{Env, text};

async fn fails_naming(config: &str, env_vars: &[(&str, &str)], args: &[&str], needles: &[&str]) {
    let env = Env::new();
    env.write_config(config);
    let out = env.run(args, env_vars).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{args:?}: stderr lacks {n:?}:\n{stderr}"
        );
    }
}

const BASE: &str = r#"
[database]
url = "sqlite://x.db"
[[teams]]
name = "support"
timezone = "Europe/Berlin"
sources = ["zd"]
[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "a@example.com"
api_token = "${ZENDESK_API_TOKEN}"
"#;

#[tokio::test]
async fn unknown_key_is_named() {
    let cfg = BASE.replace("subdomain", "subdomian");
    fails_naming(
        &cfg,
        &[("ZENDESK_API_TOKEN", "t")],
        &["report"],
        &["sources[0]", "subdomian"],
    )
    .await;
    let cfg = BASE.replace("[database]", "[database]\npool_size = 3");
    fails_naming(
        &cfg,
        &[("ZENDESK_API_TOKEN", "t")],
        &["sync"],
        &["database", "pool_size"],
    )
    .await;
}

#[tokio::test]
async fn bad_time_zone_is_named() {
    let cfg = BASE.replace("Europe/Berlin", "Europe/Berln");
    fails_naming(
        &cfg,
        &[("ZENDESK_API_TOKEN", "t")],
        &["report"],
        &["teams[0].timezone", "Europe/Berln"],
    )
    .await;
}

#[tokio::test]
async fn unset_variable_is_named() {
    fails_naming(
        BASE,
        &[],
        &["report"],
        &["sources[0].api_token", "ZENDESK_API_TOKEN is not set"],
    )
    .await;
}

#[tokio::test]
async fn missing_file_bad_period_and_unknown_flag_are_usage_errors() {
    let env = Env::new();
    let out = env.run(&["report"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("deskpulse init"),
        "{}",
        text(&out.stderr)
    );

    fails_naming(
        BASE,
        &[("ZENDESK_API_TOKEN", "t")],
        &["report", "--period", "2026-W60"],
        &["2026-W60"],
    )
    .await;
    fails_naming(
        BASE,
        &[("ZENDESK_API_TOKEN", "t")],
        &["report", "--frobnicate"],
        &["--frobnicate"],
    )
    .await;
    fails_naming(
        BASE,
        &[("ZENDESK_API_TOKEN", "t")],
        &["sync", "--source", "nope"],
        &["nope"],
    )
    .await;
}

#[tokio::test]
async fn init_then_report_on_an_empty_database() {
    let env = Env::new();
    let out = env.run(&["init"], &[]).await;
    assert!(out.status.success(), "init: {}", text(&out.stderr));
    assert!(env.config_path().exists());
    let out = env.run(&["report", "--format", "json"], &[]).await;
    assert!(out.status.success(), "report: {}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // No data: counts are zero and samples say n = 0 with null values, never a made-up zero.
    assert_eq!(r["kpis"]["ticket_volume"]["value"], 0);
    assert_eq!(r["kpis"]["first_response_time"]["n"], 0);
    assert!(r["kpis"]["first_response_time"]["median_seconds"].is_null());
    assert!(r["kpis"]["csat"]["value"].is_null());
    // A second init refuses to overwrite.
    let out = env.run(&["init"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
}

/// A numeric token is a valid token: given as a TOML number in the file, or through a
/// `DESKPULSE__SECTION__KEY` override (text that looks like a number), it is accepted as
/// written — and, at `RUST_LOG=trace -vv`, printed nowhere. (It was refused with "invalid
/// type: integer `98765431234`, expected a string", printing it.)
#[tokio::test]
async fn numeric_secrets_are_accepted_and_never_printed() {
    const TOKEN: &str = "1234567890987";
    const PASSWORD: &str = "98765431234";
    let cfg = format!(
        "{}\n[smtp]\nhost = \"mail.example.com\"\nusername = \"kpi\"\nfrom = \"kpi@example.com\"\n",
        BASE.replace("\"${ZENDESK_API_TOKEN}\"", TOKEN)
    );
    let env = Env::new();
    env.write_config(&cfg);
    let out = env
        .run(
            &["-vv", "status"],
            &[
                ("DESKPULSE__SMTP__PASSWORD", PASSWORD),
                ("RUST_LOG", "trace"),
            ],
        )
        .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for secret in [TOKEN, PASSWORD] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed:\n{stdout}\n{stderr}"
        );
    }
}

/// A TOML syntax error names the file, line and column and what is wrong, and quotes
/// nothing: the broken line may be the one holding a password (it used to be shown).
#[tokio::test]
async fn a_syntax_error_on_a_secret_line_is_located_not_quoted() {
    const PASSWORD: &str = "hunter2-Pa55w0rd";
    let cfg = format!(
        "{BASE}\n[smtp]\nhost = \"mail.example.com\"\nfrom = \"kpi@example.com\"\npassword = \"{PASSWORD}\n"
    );
    let line = cfg.lines().count();
    let env = Env::new();
    env.write_config(&cfg);
    let out = env
        .run(
            &["-vv", "report"],
            &[("ZENDESK_API_TOKEN", "t"), ("RUST_LOG", "trace")],
        )
        .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("deskpulse.toml:{line}:")) && stderr.contains("not valid TOML"),
        "the error should say where: {stderr}"
    );
    for leak in [PASSWORD, "hunter2", "password = "] {
        assert!(!stderr.contains(leak), "{leak:?} printed:\n{stderr}");
    }
}

/// A secret of the wrong shape, or any other error in a file that holds secrets, names the
/// key and never the secret's value.
#[tokio::test]
async fn errors_next_to_secrets_name_the_key_not_the_value() {
    const TOKEN: &str = "9876543123456";
    for (cfg, needles) in [
        (
            BASE.replace("\"${ZENDESK_API_TOKEN}\"", &format!("[{TOKEN}]")),
            &["sources[0].api_token"][..],
        ),
        (
            format!(
                "{}page_size = \"{TOKEN}\"\n",
                BASE.replace("\"${ZENDESK_API_TOKEN}\"", TOKEN)
            ),
            &["sources[0].page_size"],
        ),
        (
            BASE.replace("\"${ZENDESK_API_TOKEN}\"", TOKEN)
                .replace("api_token", "api_tokn"),
            &["api_tokn"],
        ),
    ] {
        let env = Env::new();
        env.write_config(&cfg);
        let out = env.run(&["-vv", "sync"], &[("RUST_LOG", "trace")]).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
        }
        assert!(!stderr.contains(TOKEN), "{TOKEN} printed:\n{stderr}");
    }
}
