use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};
use release_numbers::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let app = &maskline::app::functions::release_numbers().await;
    maskline::app::run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(handler::handle(&app.releaser, &app.redelivery, event.payload).await)
    }))
    .await
}
