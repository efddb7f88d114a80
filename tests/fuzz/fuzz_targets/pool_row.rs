//! A pool CSV file, through `maskctl pool import`'s own validator: it never panics, and its errors
//! never repeat a number of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maskline_entry_points::pool_csv(data));
