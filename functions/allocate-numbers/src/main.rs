use allocate_numbers::handler;
use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let app = &maskline::app::functions::allocate_numbers().await;
    maskline::app::run(service_fn(|event: LambdaEvent<_>| async move {
        let response = handler::handle(
            &app.allocator,
            app.default_country,
            &app.redelivery,
            event.payload,
        );
        Ok::<_, Error>(response.await)
    }))
    .await
}
