use lambda_http::{service_fn, tracing, Error, Request};
use resolve_call::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let resolver = &maskline::app::functions::resolve_call().await;
    maskline::app::run_http(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(resolver, request).await)
    }))
    .await
}
