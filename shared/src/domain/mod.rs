//! The pure domain: numbers, identifiers, sessions, the allocation rule and the event contracts.
//! Nothing in here performs I/O or knows about AWS.

pub mod events;
pub mod ids;
pub mod number;
pub mod policy;
pub mod session;

pub use ids::{IdError, OrderId, Operator, ParticipantId, Provider, Region};
pub use number::{E164, NumberError, VirtualNumber};
pub use policy::AllocationPolicy;
pub use session::{Participant, Session, SessionState, Side};
