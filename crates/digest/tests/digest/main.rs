//! The digest crate's integration tests (one binary): rendering, escaping, SMTP delivery to
//! a real SMTP server, the Slack webhook, exactly-once sending, snapshots, that every
//! verdict shown is the metrics crate's own (`judge`), and how fresh and final the numbers
//! are (`trust`).

mod fixtures;
mod hostile;
mod judge;
mod log;
mod once;
mod render;
mod reviews;
mod slack_webhook;
mod smtp;
#[path = "../common/smtp_server.rs"]
mod smtp_server;
mod snapshots;
mod social;
mod trust;

use deskpulse_digest::{Digest, DigestInput};
use fixtures::Sample;

pub fn build(s: &Sample) -> Digest {
    Digest::build(&DigestInput {
        report: &s.report,
        history: &s.history,
        reviews: &s.reviews,
        ratings: &s.ratings,
    })
}

/// Every text of a Block Kit message (header, section texts and fields, context elements).
pub fn slack_texts(v: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = v["text"].as_str() {
        out.push(t.to_owned());
    }
    for b in v["blocks"].as_array().into_iter().flatten() {
        if let Some(t) = b["text"]["text"].as_str() {
            out.push(t.to_owned());
        }
        for f in b["fields"].as_array().into_iter().flatten() {
            out.push(f["text"].as_str().unwrap().to_owned());
        }
        for e in b["elements"].as_array().into_iter().flatten() {
            out.push(e["text"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// Asserts `v` is Block Kit within the limits we promise, checking the JSON itself (not our
/// types): known block and text types, ≤ 50 blocks, ≤ 3000 characters per text, header
/// plain_text ≤ 150, ≤ 10 fields of ≤ 2000.
pub fn assert_valid_block_kit(v: &serde_json::Value) {
    let blocks = v["blocks"].as_array().expect("blocks array");
    assert!(
        !blocks.is_empty() && blocks.len() <= 50,
        "{} blocks",
        blocks.len()
    );
    assert!(
        v["text"].as_str().is_some_and(|t| !t.is_empty()),
        "fallback text"
    );
    let text_ok = |t: &serde_json::Value, max: usize| {
        let ty = t["type"].as_str().unwrap();
        assert!(ty == "mrkdwn" || ty == "plain_text", "text type {ty}");
        let s = t["text"].as_str().unwrap();
        assert!(
            !s.is_empty() && s.chars().count() <= max,
            "text of {} chars",
            s.chars().count()
        );
    };
    for b in blocks {
        match b["type"].as_str().unwrap() {
            "header" => {
                assert_eq!(b["text"]["type"], "plain_text");
                text_ok(&b["text"], 150);
            }
            "section" => {
                let fields = b["fields"].as_array();
                assert!(b.get("text").is_some() || fields.is_some(), "empty section");
                if b.get("text").is_some() {
                    text_ok(&b["text"], 3000);
                }
                if let Some(f) = fields {
                    assert!(f.len() <= 10);
                    f.iter().for_each(|f| text_ok(f, 2000));
                }
            }
            "context" => {
                let e = b["elements"].as_array().unwrap();
                assert!(!e.is_empty() && e.len() <= 10);
                e.iter().for_each(|e| text_ok(e, 3000));
            }
            "divider" => assert_eq!(b.as_object().unwrap().len(), 1),
            other => panic!("unexpected block type {other}"),
        }
    }
}
