use lambda_http::{service_fn, tracing, Error, Request};
use order_numbers::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let numbers = &maskline::app::functions::order_numbers().await;
    maskline::app::run_http(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(numbers, request).await)
    }))
    .await
}
