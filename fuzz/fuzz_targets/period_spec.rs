//! `PeriodSpec` (`2026-W46`, `2026-11`): parsing never panics and what parses prints as text
//! that parses back to it (see `deskpulse_digest::fuzzing::period_spec`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    deskpulse_digest::fuzzing::period_spec(data);
});
