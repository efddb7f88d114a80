//! Exotel's webhooks from the request API Gateway hands over: admission, authentication and
//! parsing never panic (`maskline_entry_points::webhook`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use maskline::providers::ProviderKind;

fuzz_target!(|data: &[u8]| maskline_entry_points::webhook(ProviderKind::Exotel, data));
