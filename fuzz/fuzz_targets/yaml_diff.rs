#![no_main]
//! See `meshtcp_fuzz::yaml_diff` (fuzz/src/lib.rs) and docs/fuzzing.md.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| meshtcp_fuzz::yaml_diff(data));
