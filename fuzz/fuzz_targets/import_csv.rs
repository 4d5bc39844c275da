//! The CSV importers' check pass (`deskpulse import …`) on arbitrary bytes as a file of every
//! kind: never a panic, and a refusal lists `FILE:LINE: column: problem` lines about lines
//! the file has (see `deskpulse::fuzzing::import`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    deskpulse::fuzzing::import(data);
});
