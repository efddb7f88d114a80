//! Use cases, written against the ports: what happens on DriverAssigned, on delivery or
//! cancellation, and when an app asks for an order's numbers.

pub mod allocate;
pub mod order_numbers;
pub mod release;
mod retry;
mod session_plan;

pub use allocate::{AllocationError, AllocationOutcome, Allocator};
pub use order_numbers::{OrderNumbers, OrderNumbersView};
pub use release::{ReleaseError, ReleaseOutcome, Releaser};
