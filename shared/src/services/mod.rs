//! Use cases, written against the ports: what happens on DriverAssigned, on delivery or
//! cancellation, when an app asks for an order's numbers, when the order platform drives a
//! session over HTTP (`sessions`), and when a call must be routed.

pub mod allocate;
pub mod announce;
pub mod call_events;
pub mod caller_binding;
mod candidates;
pub mod click_to_call;
pub mod dial_result;
pub mod extend;
pub mod failover;
pub mod number_health;
pub mod order_numbers;
mod owned_write;
pub mod refill;
pub mod release;
pub mod reseal;
pub mod resolve_call;
pub mod retry;
pub mod route_call;
mod seats;
mod session_plan;
pub mod sessions;
pub mod single_use_jwt;
pub mod webhook_outcome;
mod whisper;

pub use allocate::{AllocationError, AllocationOutcome, Allocator, RequestTerms};
pub use announce::{Announcer, NotAnnounced, StreamedChange};
pub use call_events::CallEvents;
pub use click_to_call::{ClickToCall, ClickToCallError, ClickToCallPlaced};
pub use failover::{Failover, FailoverError, FailoverReport};
pub use number_health::NumberHealth;
pub use order_numbers::{OrderNumbers, OrderNumbersView};
pub use refill::{Refill, RegionRefill, REFILL_LEASE_SECONDS};
pub use release::{ReleaseError, ReleaseOutcome, Releaser};
pub use reseal::{FoundAs, ResealReport, Resealer};
pub use resolve_call::ResolveCall;
pub use route_call::{CallRouter, Route, RouteError};
pub use sessions::{Answered, Closed, Sessions, SessionsError};
pub use webhook_outcome::WebhookOutcome;
