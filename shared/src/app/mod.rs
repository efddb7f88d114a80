//! The composition root: the one place that turns settings into the services each function runs.
//!
//! Every `functions/*/src/main.rs` calls one function of [`functions`] and hands what it returns
//! to its handler; the test world builds its services through the same [`Wiring`], so the tests
//! exercise the production wiring instead of a copy that could drift from it. Each function's AWS
//! clients carry the function's name (the SDK's app name, sent in every request's user agent), so
//! a recorder of AWS calls can tell whose IAM role must allow each call.

mod environment;
pub mod functions;
mod operator;
mod run;
mod wiring;

pub use environment::Environment;
pub use operator::OperatorTools;
pub use run::{run, run_http};
pub use wiring::{table_on_aws, Ports, Wiring};
