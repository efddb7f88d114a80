//! The telecom providers' REST APIs: renting and returning numbers (refill) and placing
//! click-to-call bridges. Each adapter turns one port call into the provider's documented
//! requests; the webhook formats (calls coming *in*) live in `crate::providers` instead.
//!
//! No real phone number reaches a log line or an error from here: a person's number is only ever
//! written into a request body, and provider messages are scrubbed before they are passed on.

pub mod exotel_calls;
pub mod http;
pub mod settings;
pub mod twilio_api;
pub mod twilio_calls;
pub mod twilio_numbers;
pub mod twilio_owned;

pub use exotel_calls::{ExotelApi, ExotelCalls};
pub use http::{ApiClient, ApiFailure, Reply};
pub use twilio_api::TwilioApi;
pub use twilio_calls::TwilioCalls;
pub use twilio_numbers::TwilioNumbers;
