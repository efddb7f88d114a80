//! Request paths: the webhook and apps' route parsers never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maskline_entry_points::routes(data));
