//! Starting the Lambda runtime with Maskline's metrics: the runtime's own `run`, plus the EMF
//! backend's layer, which flushes the invocation's metrics when the handler returns (a frozen
//! execution environment must not hold them), counts cold starts and tags each document with the
//! request id. A `main.rs` calls one of these where it would call `lambda_runtime::run` or
//! `lambda_http::run`.

use std::fmt::Debug;
use std::future::Future;

use futures::Stream;
use lambda_http::lambda_runtime::{Diagnostic, Error, IntoFunctionResponse, LambdaEvent};
use lambda_http::tower::Service;
use metrics_cloudwatch_embedded::lambda::service;
use serde::{Deserialize, Serialize};

use crate::metrics::install_for_lambda;

/// A function fed by events (queues, schedules).
pub async fn run<A, F, R, B, S, D, E>(handler: F) -> Result<(), Error>
where
    F: Service<LambdaEvent<A>, Response = R>,
    F::Future: Future<Output = Result<R, F::Error>>,
    F::Error: Into<Diagnostic> + Debug,
    A: for<'de> Deserialize<'de>,
    R: IntoFunctionResponse<B, S>,
    B: Serialize,
    S: Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send,
    E: Into<Error> + Send + Debug,
{
    service::run(install_for_lambda(), handler).await
}

/// A function behind the HTTP API.
pub async fn run_http<'a, R, S, E>(handler: S) -> Result<(), Error>
where
    S: Service<lambda_http::Request, Response = R, Error = E>,
    S::Future: Send + 'a,
    R: lambda_http::IntoResponse,
    E: Debug + Into<Diagnostic>,
{
    service::run_http(install_for_lambda(), handler).await
}
