//! Fuzz target: see `server::ingest::fuzzing::any`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| server::ingest::fuzzing::any(data));
