//! Fuzz target: see `server::ingest::fuzzing::dsr`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| server::ingest::fuzzing::dsr(data));
