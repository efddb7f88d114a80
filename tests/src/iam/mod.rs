//! IAM conformance: the local stack enforces each function's role as AWS would.
//!
//! DynamoDB Local, moto and `cargo lambda watch` enforce no IAM, so a call a role does not allow
//! passes every local test and fails in the cloud. Here every AWS call a function's wiring makes
//! in the tests goes through an SDK interceptor that names the function (the test world builds
//! each function's clients through [`clients_of`]), turns the call into the IAM requests AWS
//! would evaluate (one per item of a transaction, with the partition keys it touches), and
//! evaluates them against that function's role in the template after the real SAM transform.
//! The table's stream is read with `announce`'s role, as its event source mapping reads it. A
//! denied call fails as it would in AWS, and is written to `target/iam/denied.txt`, which
//! `make test` checks after the run, so no test can pass over a denial. IAM features this
//! evaluator does not model fail closed.

mod evaluate;
mod policy;
mod recorder;
mod request;

pub use evaluate::{evaluate, Decision};
pub use policy::{function_name, roles, Effect, Role, Statement};
pub use recorder::{clients_of, FunctionClients};
pub use request::IamRequest;
