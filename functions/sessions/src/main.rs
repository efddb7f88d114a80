use lambda_http::{service_fn, tracing, Error, Request};
use sessions::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let sessions = &maskline::app::functions::sessions().await;
    maskline::app::run_http(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(sessions, request).await)
    }))
    .await
}
