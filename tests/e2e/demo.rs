//! `deskpulse demo`: the whole job against the built-in simulator, no account, no config file.

use crate::harness::{Env, text};

#[tokio::test]
async fn demo_syncs_reports_and_matches_the_ground_truth() {
    let env = Env::new();
    let db = env.sqlite_url();
    let out = env
        .run(
            &[
                "demo",
                "--days",
                "28",
                "--tickets-per-day",
                "15",
                "--now",
                "2026-11-23T06:00:00Z",
                "--database",
                &db,
            ],
            &[],
        )
        .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("demo — 2026-W47"), "{stdout}");
    assert!(stdout.contains("all match"), "{stdout}");
    // The review sources were synced and checked too (the verdict names them).
    assert!(stdout.contains("\nReviews "), "{stdout}");
    assert!(stdout.contains("  Trustpilot "), "{stdout}");
    assert!(stdout.contains("  Google "), "{stdout}");
    assert!(
        stdout.contains("the Trustpilot and Google reviews"),
        "{stdout}"
    );
    // The digest preview it wrote has the Reviews section.
    let preview = stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest preview: "))
        .and_then(|l| l.split(" (text: ").nth(1))
        .map(|t| t.trim_end_matches(')').to_owned())
        .expect("the demo names its text digest");
    let digest = std::fs::read_to_string(&preview).unwrap();
    assert!(digest.contains("Reviews"), "{digest}");
    assert!(digest.contains("Trustpilot: "), "{digest}");
    // And Facebook and X: public response in the report, the digest's Social section and
    // the verdict.
    assert!(stdout.contains("\nPublic response "), "{stdout}");
    assert!(
        stdout.contains("the Facebook and X public response"),
        "{stdout}"
    );
    assert!(digest.contains("Social"), "{digest}");
    assert!(digest.contains("X: "), "{digest}");
    assert!(digest.contains(" comments and mentions, "), "{digest}");
    // The reconcile summary: Zendesk's own metric sets next to ours, every difference
    // explained with the reason the simulator recorded (else the demo fails).
    assert!(
        stdout.contains("reconcile with the vendor's own figures (demo-zendesk, 2026-W47):"),
        "{stdout}"
    );
    assert!(stdout.contains("First response: "), "{stdout}");
    assert!(
        stdout.contains("has the reason the simulator recorded"),
        "{stdout}"
    );
    // The database it names holds what was synced: a report on it works too.
    assert!(
        !env.config_path().exists(),
        "demo writes no configuration file"
    );
}

#[tokio::test]
async fn demo_survives_injected_faults() {
    let env = Env::new();
    let db = env.sqlite_url();
    let out = env
        .run(
            &[
                "demo",
                "--days",
                "14",
                "--tickets-per-day",
                "10",
                "--faults",
                "0.05",
                "--now",
                "2026-11-23T06:00:00Z",
                "--database",
                &db,
            ],
            &[],
        )
        .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "demo with faults failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all match"), "{stdout}");
}

#[tokio::test]
async fn demo_help_explains_the_options() {
    let env = Env::new();
    let out = env.run(&["demo", "--help"], &[]).await;
    let help = text(&out.stdout);
    for flag in [
        "--seed",
        "--days",
        "--speed",
        "--faults",
        "--database",
        "--timezone",
    ] {
        assert!(help.contains(flag), "demo --help lacks {flag}:\n{help}");
    }
    let out = env.run(&["demo", "--faults", "2"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
