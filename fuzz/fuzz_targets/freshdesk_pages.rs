//! Freshdesk: any body, read as every page the connector reads and mapped to records, never
//! panics, and what maps keeps the record invariants (see
//! `deskpulse_connector_freshdesk::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    deskpulse_connector_freshdesk::fuzzing::pages(data);
});
