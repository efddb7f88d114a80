//! A model-checked allocator: random, seeded schedules of concurrent operations run against the
//! real use cases (DynamoDB Local, moto), checked after every step against a simple reference
//! model.
//!
//! - [`schedule`]: the seeded generator. A schedule depends on its seed only (never on what the
//!   product answered), so `MODEL_SEED=<seed>` replays the same operations in the same batches.
//!   The product's own random choices (which free VN it picks) and the interleaving inside a
//!   batch are not replayed bit for bit.
//! - [`reference`]: what each order should look like, as a tiny state machine over the events
//!   that succeeded, with the product's ordering rule (`detail.sequence`).
//! - [`keys`]: the number keys a schedule rotates (hash and encryption, listed as an operator
//!   would during a rotation).
//! - [`platform`]: which ordering fields a schedule's order platform sends, and the policy and
//!   backups its deployment runs with.
//! - [`ops`]: runs one operation through the use case that serves it in production.
//! - [`check`]: the whole-table, call-path, pool and published-event checks after a step;
//!   [`exhaustion`]: the liveness check that every `PoolExhausted` was deserved.
//! - [`runner`]: one schedule, step by step; [`report`]: the figures of a run.

pub mod check;
pub mod exhaustion;
pub mod keys;
pub mod ops;
pub mod platform;
pub mod reference;
pub mod report;
pub mod runner;
pub mod schedule;
