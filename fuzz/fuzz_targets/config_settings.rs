//! The configuration loader (`Settings::parse`) on arbitrary TOML text and environment:
//! never a panic, and never a planted secret in an error or in the settings' `Debug` (see
//! `deskpulse::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    deskpulse::fuzzing::config(data);
});
