//! Renders a realistic sample digest (12 weeks of history, missed targets, reviews, a hostile
//! agent name) to a directory: `digest.html` (charts as files next to it, for a browser),
//! `digest.eml.html` (the e-mail body with `cid:` references), the PNG charts,
//! `digest.txt` and `slack.json`.
//!
//! `cargo run -p deskpulse-digest --example render_sample -- OUT_DIR`
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/digest/fixtures.rs"]
mod fixtures;

use std::path::PathBuf;

use deskpulse_digest::{Digest, DigestInput, RenderedDigest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/digest-sample".into()),
    );
    std::fs::create_dir_all(&out)?;
    let mut s = fixtures::sample(false);
    // One hostile agent name, to see it rendered as text.
    s.report.agents[3].name = "<img src=x onerror=alert(1)> Dev".into();
    let digest = Digest::build(&DigestInput {
        report: &s.report,
        history: &s.history,
        reviews: &s.reviews,
        ratings: &s.ratings,
    });
    let r = RenderedDigest::render(&digest)?;
    std::fs::write(out.join("digest.html"), r.html.html_with_files())?;
    std::fs::write(out.join("digest.eml.html"), &r.html.html)?;
    for img in &r.html.images {
        std::fs::write(out.join(&img.filename), &img.png)?;
    }
    std::fs::write(out.join("digest.txt"), &r.text)?;
    std::fs::write(
        out.join("slack.json"),
        serde_json::to_string_pretty(&r.slack)?,
    )?;
    println!("{}", out.join("digest.html").display());
    Ok(())
}
