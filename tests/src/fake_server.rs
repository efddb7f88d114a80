//! A tiny HTTP server on 127.0.0.1 for imitating a provider's REST API in tests. It decodes what
//! every fake needs (method, path, query, form or raw body, basic-auth credentials) and hands it
//! to the fake's handler on a background thread; dropping the server stops the thread.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use base64::Engine as _;
use serde_json::Value;

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub form: BTreeMap<String, String>,
    /// The body as sent, for a fake whose API takes JSON.
    pub body: String,
    /// `(user, password)` of the basic `Authorization` header, if it had one.
    pub basic_auth: Option<(String, String)>,
}

/// What the fake answers: a status and a JSON body (`Value::Null` for none).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Answer {
        Answer { status, body }
    }

    pub fn empty(status: u16) -> Answer {
        Answer {
            status,
            body: Value::Null,
        }
    }
}

pub struct FakeServer {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    base_url: String,
}

impl FakeServer {
    pub fn start(handler: impl Fn(SeenRequest) -> Answer + Send + 'static) -> FakeServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a local port"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let serving = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            for mut request in serving.incoming_requests() {
                let seen = decode(&mut request);
                let answer = handler(seen);
                let response = match answer.body {
                    Value::Null => tiny_http::Response::from_string(""),
                    body => tiny_http::Response::from_string(body.to_string()).with_header(
                        tiny_http::Header::from_bytes("Content-Type", "application/json")
                            .expect("a valid header"),
                    ),
                }
                .with_status_code(answer.status);
                // A client that gave up (timeout) is not the fake's problem.
                let _ = request.respond(response);
            }
        });
        FakeServer {
            server,
            thread: Some(thread),
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn decode(request: &mut tiny_http::Request) -> SeenRequest {
    let (path, query) = match request.url().split_once('?') {
        Some((path, query)) => (path.to_string(), pairs(query.as_bytes())),
        None => (request.url().to_string(), BTreeMap::new()),
    };
    let basic_auth = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Basic ").map(str::to_string))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        });
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    SeenRequest {
        method: request.method().as_str().to_string(),
        path,
        query,
        form: pairs(&body),
        body: String::from_utf8_lossy(&body).into_owned(),
        basic_auth,
    }
}

fn pairs(encoded: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(encoded).into_owned().collect()
}
