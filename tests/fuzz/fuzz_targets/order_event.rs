//! An SQS record body from the bus: the order-event and refill-trigger parsers never panic, and
//! an error never repeats a phone number it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maskline_entry_points::order_event(data));
