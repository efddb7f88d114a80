//! Test harness for Maskline's integration tests.
//!
//! Every test gets a fresh table on Amazon's DynamoDB Local and a fresh EventBridge bus on moto,
//! with a rule copying the bus to an SQS queue so tests read published events the way a consumer
//! would. Session events leave through the table's stream: reading events first runs the
//! `announce` handler over it (`stream`), as the event source mapping does in AWS. Both services are started by `make test`; a test run without them fails at once with a
//! message saying so — it never skips. The fake provider APIs (`fake_twilio`, `fake_exotel`) are
//! local HTTP servers that need nothing else.

pub mod bus;
pub mod call_oracle;
pub mod capacity_meter;
pub mod clock;
pub mod counting_store;
pub mod fake_exotel;
pub mod fake_server;
pub mod fake_twilio;
pub mod fixtures;
pub mod flaky_bus;
pub mod iam;
pub mod invariants;
pub mod item_size;
pub mod lagging_index;
pub mod lagging_indexes;
pub mod model;
pub mod put_events;
pub mod read_consistency;
pub mod remote_bus;
pub mod sam;
pub mod stale_reads;
pub mod stream;
pub mod webhooks;
pub mod world;

pub use bus::PublishedEvents;
pub use clock::ManualClock;
pub use world::World;
