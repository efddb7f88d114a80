use announce::handler;
use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let announcer = &maskline::app::functions::announce().await;
    maskline::app::run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(handler::handle(announcer, event.payload).await)
    }))
    .await
}
