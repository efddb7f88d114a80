//! Request paths: the webhook and apps' route parsers never panic.

pub fn routes(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let _ = maskline::providers::webhook_route(path);
    for action in ["numbers", "calls", "click-to-call"] {
        let _ = maskline::adapters::http::order_route(path, action);
    }
    let _ = maskline::public_url::public_url("http://127.0.0.1:9000/lambda-url/{function}", path);
}
