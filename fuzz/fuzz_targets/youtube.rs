//! Fuzz target: see `server::ingest::fuzzing::youtube`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| server::ingest::fuzzing::youtube(data));
