//! Fuzz target: see `server::ingest::fuzzing::apple`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| server::ingest::fuzzing::apple(data));
