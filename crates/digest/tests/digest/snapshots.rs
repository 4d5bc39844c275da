//! Snapshots of the text digest and the Block Kit JSON of the standard sample.

use deskpulse_digest::{render_slack, render_text};

use crate::build;
use crate::fixtures::sample;

#[test]
fn text_digest() {
    insta::assert_snapshot!(render_text(&build(&sample(false))));
}

#[test]
fn block_kit() {
    insta::assert_json_snapshot!(render_slack(&build(&sample(false))));
}
