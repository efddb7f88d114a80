//! Vonage's webhooks: authentication and parsing of arbitrary requests never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maskline::providers::ProviderKind;

fuzz_target!(|data: &[u8]| maskline_fuzz::exercise(ProviderKind::Vonage, data));
