//! Each function here takes the bytes a fuzzer chose and runs them through one of Maskline's real
//! entry points, panicking only where a property Maskline promises is broken (a parser may refuse
//! anything; it may not panic, and its errors may not repeat a phone number).

mod order_event;
mod phone_number;
mod pool_csv;
mod routes;
mod webhook;

pub use order_event::order_event;
pub use phone_number::phone_number;
pub use pool_csv::pool_csv;
pub use routes::routes;
pub use webhook::webhook;

/// One entry point: the fuzzer's bytes in, a panic out when a promise is broken.
pub type EntryPoint = fn(&[u8]);

/// Every target, by the name of its fuzz binary and corpus folder (`tests/fuzz/corpus/<name>`).
pub const TARGETS: [(&str, EntryPoint); 8] = [
    ("twilio_webhook", |data| {
        webhook(maskline::providers::ProviderKind::Twilio, data)
    }),
    ("plivo_webhook", |data| {
        webhook(maskline::providers::ProviderKind::Plivo, data)
    }),
    ("vonage_webhook", |data| {
        webhook(maskline::providers::ProviderKind::Vonage, data)
    }),
    ("exotel_webhook", |data| {
        webhook(maskline::providers::ProviderKind::Exotel, data)
    }),
    ("order_event", order_event),
    ("phone_number", phone_number),
    ("pool_row", pool_csv),
    ("routes", routes),
];

/// The target of `name`, for the fuzz binaries and the replay.
pub fn target(name: &str) -> Option<EntryPoint> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
