//! A fake of Exotel's "connect two numbers" API (`POST /v1/Accounts/{sid}/Calls/connect.json`):
//! checks basic auth (`api_key:api_token`) and the mandatory fields, records each call and
//! answers Exotel's documented JSON.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use maskline::adapters::provider_api::ExotelApi;
use serde_json::json;

use crate::fake_server::{Answer, FakeServer, SeenRequest};

pub const ACCOUNT_SID: &str = "masklinefake1";
pub const API_KEY: &str = "fake-exotel-api-key";
pub const API_TOKEN: &str = "fake-exotel-api-token";

#[derive(Default)]
struct State {
    calls: Vec<BTreeMap<String, String>>,
    requests: Vec<SeenRequest>,
    failures_left: u32,
    next_id: u64,
}

pub struct FakeExotel {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

impl FakeExotel {
    pub fn start() -> FakeExotel {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let server = FakeServer::start(move |request| {
            let mut state = shared.lock().unwrap();
            state.requests.push(request.clone());
            handle(&mut state, request)
        });
        FakeExotel { server, state }
    }

    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// Credentials and base URL that reach this fake.
    pub fn api(&self) -> ExotelApi {
        ExotelApi {
            base_url: self.base_url().to_string(),
            account_sid: ACCOUNT_SID.to_string(),
            api_key: API_KEY.to_string(),
            api_token: API_TOKEN.to_string(),
        }
    }

    /// The next `n` requests fail with 500.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().failures_left = n;
    }

    /// The form of every call connected.
    pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Every request received, including refused ones.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn error(status: u16, message: &str) -> Answer {
    Answer::json(
        status,
        json!({"RestException": {"Status": status, "Message": message}}),
    )
}

fn handle(state: &mut State, request: SeenRequest) -> Answer {
    if state.failures_left > 0 {
        state.failures_left -= 1;
        return error(500, "Internal Server Error");
    }
    if request.basic_auth != Some((API_KEY.to_string(), API_TOKEN.to_string())) {
        return error(401, "Authentication is required to view this page.");
    }
    let connect = format!("/v1/Accounts/{ACCOUNT_SID}/Calls/connect.json");
    if request.method != "POST" || request.path != connect {
        return error(404, "Not Found");
    }
    for required in ["From", "To", "CallerId"] {
        if request.form.get(required).is_none_or(|v| v.is_empty()) {
            return error(400, &format!("Missing parameter {required}"));
        }
    }
    state.next_id += 1;
    let sid = format!("{:032x}", 0xe0e0_0000_u64 + state.next_id);
    state.calls.push(request.form.clone());
    let form = &request.form;
    Answer::json(
        200,
        json!({
            "Call": {
                "Sid": sid,
                "ParentCallSid": null,
                "DateCreated": "2026-01-01 10:00:00",
                "DateUpdated": "2026-01-01 10:00:00",
                "AccountSid": ACCOUNT_SID,
                "To": form["To"],
                "From": form["From"],
                "PhoneNumberSid": form["CallerId"],
                "Status": "in-progress",
                "StartTime": "2026-01-01 10:00:00",
                "EndTime": null,
                "Duration": null,
                "Price": null,
                "Direction": "outbound-api",
                "AnsweredBy": null,
                "ForwardedFrom": null,
                "CallerName": null,
                "Uri": format!("/v1/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"),
                "RecordingUrl": null,
            }
        }),
    )
}
