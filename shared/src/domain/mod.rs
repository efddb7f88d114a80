//! The pure domain: numbers, identifiers, sessions, the allocation rule and the event contracts.
//! Nothing in here performs I/O or knows about AWS.

pub mod announcement;
pub mod call_status;
pub mod caller_key;
pub mod choice;
pub mod events;
pub mod ids;
pub mod number;
pub mod ordering;
pub mod pair_mode;
pub mod policy;
pub mod pool;
pub mod provider_kind;
pub mod refill_plan;
pub mod session;
pub mod session_requests;
pub mod single_choice;
#[cfg(test)]
mod test_pool;

pub use call_status::CallStatus;
pub use caller_key::CallerKey;
pub use ids::{IdError, Operator, OrderId, ParticipantId, Provider, Region};
pub use number::{NumberError, VirtualNumber, E164};
pub use pair_mode::PairMode;
pub use policy::AllocationPolicy;
pub use provider_kind::ProviderKind;
pub use session::{Participant, Session, SessionState, Side};
