use lambda_http::{run, service_fn, tracing, Error, Request};
use order_numbers::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let numbers = &maskline::app::functions::order_numbers().await;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(numbers, request).await)
    }))
    .await
}
