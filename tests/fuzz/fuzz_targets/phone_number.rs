//! Phone numbers: parsing never panics, and masking never shows more than prefix and last four.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maskline_entry_points::phone_number(data));
