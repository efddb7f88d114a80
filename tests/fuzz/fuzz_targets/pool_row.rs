//! A row of `maskctl pool import`: the entry parser never panics, and its errors never repeat the
//! number.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../../infra/maskctl/src/entry.rs"]
#[allow(dead_code)]
mod entry;

fuzz_target!(|data: &[u8]| {
    let Ok(row) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = row.splitn(4, ',');
    let mut next = || fields.next().unwrap_or_default();
    let raw = entry::RawEntry {
        number: next(),
        region: next(),
        operator: next(),
        provider: next(),
    };
    if let Err(e) = entry::parse_entry(raw, Some("IN".parse().unwrap())) {
        if raw.number.len() >= 8 {
            assert!(!e.to_string().contains(raw.number), "{e}");
        }
    }
});
