//! Fuzzes loading a season from JSON text.
#![no_main]

use dualmatch_core::season;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `load` refuses non-UTF-8 before parsing; the same here.
    let Ok(text) = std::str::from_utf8(data) else { return };
    dualmatch_fuzz::check_load(&season::from_json_str(text, "fuzz.json"));
});
