//! The digest renderers (text, HTML, Slack) on a digest built from arbitrary untrusted text:
//! never a panic, never untrusted markup unescaped, never an unbounded output (see
//! `deskpulse_digest::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    deskpulse_digest::fuzzing::render(data);
});
