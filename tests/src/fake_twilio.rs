//! A fake of the parts of Twilio's REST API (2010-04-01) Maskline uses: searching, buying,
//! listing (by `FriendlyName`, paged with `next_page_uri`) and releasing numbers, and creating
//! calls. It speaks Twilio's documented JSON, checks basic auth, and keeps an inventory: a bought
//! number leaves the available list, so of two buyers racing for one number the second gets
//! Twilio's 400 with error 21422. It can also lose an answer after doing the work, as a timeout or
//! a 5xx after Twilio acted would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use maskline::adapters::provider_api::TwilioApi;
use serde_json::{json, Value};

use crate::fake_server::{Answer, FakeServer, SeenRequest};

pub const ACCOUNT_SID: &str = "ACfa4e0000000000000000000000000001";
pub const AUTH_TOKEN: &str = "fake-twilio-auth-token";

/// A number bought from the fake, with the webhooks it was configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoughtNumber {
    pub sid: String,
    pub phone_number: String,
    /// As set on purchase; Twilio's default is the number itself.
    pub friendly_name: String,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
}

#[derive(Default)]
struct State {
    available: Vec<String>,
    bought: Vec<BoughtNumber>,
    released: Vec<String>,
    calls: Vec<BTreeMap<String, String>>,
    requests: Vec<SeenRequest>,
    failures_left: u32,
    /// Purchases that still succeed before every further one fails with 500.
    purchases_before_outage: Option<u32>,
    /// Numbers "another buyer" takes right after the next search is answered.
    snatch_after_search: Vec<String>,
    /// Methods whose next request is carried out but answered with a 500.
    lose_reply_to: Vec<String>,
    /// The most numbers one listing page holds, whatever `PageSize` asks.
    max_page_size: usize,
    next_id: u64,
}

pub struct FakeTwilio {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

impl FakeTwilio {
    pub fn start() -> FakeTwilio {
        let state = Arc::new(Mutex::new(State {
            max_page_size: 1000,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let server = FakeServer::start(move |request| {
            let mut state = shared.lock().unwrap();
            state.requests.push(request.clone());
            let lost = state
                .lose_reply_to
                .iter()
                .position(|m| *m == request.method);
            let answer = handle(&mut state, request);
            match lost {
                Some(i) => {
                    state.lose_reply_to.remove(i);
                    error(500, 20500, "Internal Server Error")
                }
                None => answer,
            }
        });
        FakeTwilio { server, state }
    }

    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// Credentials and base URL that reach this fake.
    pub fn api(&self) -> TwilioApi {
        TwilioApi {
            base_url: self.base_url().to_string(),
            account_sid: ACCOUNT_SID.to_string(),
            auth_token: AUTH_TOKEN.to_string(),
        }
    }

    /// Puts numbers up for sale, in this order.
    pub fn offer(&self, numbers: &[&str]) {
        let mut state = self.state.lock().unwrap();
        state
            .available
            .extend(numbers.iter().map(|n| n.to_string()));
    }

    /// Another buyer takes these numbers just after the next search is answered: they are listed
    /// but no longer for sale.
    pub fn snatch_after_next_search(&self, numbers: &[&str]) {
        self.state.lock().unwrap().snatch_after_search =
            numbers.iter().map(|n| n.to_string()).collect();
    }

    /// The next `n` requests (whatever they are) fail with 500.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().failures_left = n;
    }

    /// The next request with this method (`POST` buys, `DELETE` releases) is carried out, but its
    /// answer is lost: the client gets a 500, as after a timeout on Twilio's side.
    pub fn lose_next_reply_to(&self, method: &str) {
        self.state
            .lock()
            .unwrap()
            .lose_reply_to
            .push(method.to_string());
    }

    /// Listing pages hold at most `n` numbers, so a few numbers span several pages.
    pub fn page_listings_by(&self, n: usize) {
        self.state.lock().unwrap().max_page_size = n;
    }

    /// After `n` more successful purchases, every purchase fails with 500.
    pub fn fail_purchases_after(&self, n: u32) {
        self.state.lock().unwrap().purchases_before_outage = Some(n);
    }

    pub fn available(&self) -> Vec<String> {
        self.state.lock().unwrap().available.clone()
    }

    /// Numbers bought (and not yet released or not), in order of purchase.
    pub fn bought(&self) -> Vec<BoughtNumber> {
        self.state.lock().unwrap().bought.clone()
    }

    /// Sids of the numbers released, in order.
    pub fn released(&self) -> Vec<String> {
        self.state.lock().unwrap().released.clone()
    }

    /// The form of every call created.
    pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Every request received, including refused ones.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn error(status: u16, code: u32, message: &str) -> Answer {
    Answer::json(
        status,
        json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }),
    )
}

fn handle(state: &mut State, request: SeenRequest) -> Answer {
    if state.failures_left > 0 {
        state.failures_left -= 1;
        return error(500, 20500, "Internal Server Error");
    }
    let expected = (ACCOUNT_SID.to_string(), AUTH_TOKEN.to_string());
    if request.basic_auth.as_ref() != Some(&expected) {
        return error(401, 20003, "Authenticate");
    }
    let prefix = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/");
    let Some(rest) = request.path.strip_prefix(&prefix) else {
        return not_found(&request.path);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["AvailablePhoneNumbers", country, "Local.json"]) => {
            search(state, country, &request)
        }
        ("POST", ["IncomingPhoneNumbers.json"]) => buy(state, &request),
        ("GET", ["IncomingPhoneNumbers.json"]) => list(state, &request),
        ("DELETE", ["IncomingPhoneNumbers", file]) => match file.strip_suffix(".json") {
            Some(sid) => release(state, sid),
            None => not_found(&request.path),
        },
        ("POST", ["Calls.json"]) => create_call(state, &request),
        _ => not_found(&request.path),
    }
}

fn not_found(path: &str) -> Answer {
    error(
        404,
        20404,
        &format!("The requested resource {path} was not found"),
    )
}

fn search(state: &mut State, country: &str, request: &SeenRequest) -> Answer {
    let page_size = request
        .query
        .get("PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let listed: Vec<Value> = state
        .available
        .iter()
        .take(page_size)
        .map(|number| {
            json!({
                "friendly_name": number,
                "phone_number": number,
                "lata": null,
                "locality": null,
                "rate_center": null,
                "latitude": null,
                "longitude": null,
                "region": null,
                "postal_code": null,
                "iso_country": country,
                "address_requirements": "none",
                "beta": false,
                "capabilities": {"voice": true, "SMS": true, "MMS": false},
            })
        })
        .collect();
    let snatched = std::mem::take(&mut state.snatch_after_search);
    state.available.retain(|n| !snatched.contains(n));
    Answer::json(
        200,
        json!({
            "available_phone_numbers": listed,
            "uri": request.path,
        }),
    )
}

fn buy(state: &mut State, request: &SeenRequest) -> Answer {
    match state.purchases_before_outage {
        Some(0) => return error(500, 20500, "Internal Server Error"),
        Some(n) => state.purchases_before_outage = Some(n - 1),
        None => {}
    }
    let Some(number) = request.form.get("PhoneNumber") else {
        return error(400, 21421, "PhoneNumber is required");
    };
    let Some(position) = state.available.iter().position(|n| n == number) else {
        return error(400, 21422, "PhoneNumber requested is not available");
    };
    state.available.remove(position);
    state.next_id += 1;
    let sid = format!("PN{:032x}", state.next_id);
    let field = |name: &str| request.form.get(name).cloned();
    let bought = BoughtNumber {
        sid: sid.clone(),
        phone_number: number.clone(),
        friendly_name: field("FriendlyName").unwrap_or_else(|| number.clone()),
        voice_url: field("VoiceUrl"),
        voice_method: field("VoiceMethod"),
        status_callback: field("StatusCallback"),
        status_callback_method: field("StatusCallbackMethod"),
    };
    let answer = json!({
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "friendly_name": bought.friendly_name,
        "phone_number": number,
        "voice_url": bought.voice_url,
        "voice_method": bought.voice_method.clone().unwrap_or_else(|| "POST".into()),
        "status_callback": bought.status_callback.clone().unwrap_or_default(),
        "status_callback_method": bought.status_callback_method.clone().unwrap_or_else(|| "POST".into()),
        "capabilities": {"voice": true, "sms": true, "mms": false, "fax": false},
        "api_version": "2010-04-01",
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"),
    });
    state.bought.push(bought);
    Answer::json(201, answer)
}

/// The account's numbers (not released), filtered by `FriendlyName` / `PhoneNumber` when given,
/// one page at a time: `Page` counts from 0 and `next_page_uri` carries the query on, with a
/// `PageToken` as Twilio's does.
fn list(state: &mut State, request: &SeenRequest) -> Answer {
    let query = |name: &str| request.query.get(name).cloned();
    let page_size = query("PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50usize)
        .clamp(1, state.max_page_size);
    let page: usize = query("Page").and_then(|s| s.parse().ok()).unwrap_or(0);
    let matching: Vec<&BoughtNumber> = state
        .bought
        .iter()
        .filter(|b| !state.released.contains(&b.sid))
        .filter(|b| query("FriendlyName").is_none_or(|f| b.friendly_name == f))
        .filter(|b| query("PhoneNumber").is_none_or(|p| b.phone_number == p))
        .collect();
    let listed: Vec<Value> = matching
        .iter()
        .skip(page * page_size)
        .take(page_size)
        .map(|b| {
            json!({
                "sid": b.sid,
                "account_sid": ACCOUNT_SID,
                "friendly_name": b.friendly_name,
                "phone_number": b.phone_number,
                "voice_url": b.voice_url,
                "status": "in-use",
                "capabilities": {"voice": true, "sms": true, "mms": false, "fax": false},
                "api_version": "2010-04-01",
                "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{}.json", b.sid),
            })
        })
        .collect();
    let page_uri = |page: usize| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for name in ["FriendlyName", "PhoneNumber"] {
            if let Some(value) = query(name) {
                pairs.append_pair(name, &value);
            }
        }
        pairs.append_pair("PageSize", &page_size.to_string());
        pairs.append_pair("Page", &page.to_string());
        if page > 0 {
            pairs.append_pair("PageToken", &format!("PA{page:030}"));
        }
        format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json?{}",
            pairs.finish()
        )
    };
    let more = matching.len() > (page + 1) * page_size;
    let start = page * page_size;
    Answer::json(
        200,
        json!({
            "incoming_phone_numbers": listed,
            "page": page,
            "page_size": page_size,
            "start": start,
            "end": start + listed.len().saturating_sub(1),
            "uri": page_uri(page),
            "first_page_uri": page_uri(0),
            "previous_page_uri": if page > 0 { Value::from(page_uri(page - 1)) } else { Value::Null },
            "next_page_uri": if more { Value::from(page_uri(page + 1)) } else { Value::Null },
        }),
    )
}

fn release(state: &mut State, sid: &str) -> Answer {
    let owned = state.bought.iter().any(|b| b.sid == sid);
    if !owned || state.released.iter().any(|r| r == sid) {
        return not_found(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"
        ));
    }
    state.released.push(sid.to_string());
    Answer::empty(204)
}

fn create_call(state: &mut State, request: &SeenRequest) -> Answer {
    for required in ["To", "From"] {
        if !request.form.contains_key(required) {
            return error(400, 21201, &format!("No '{required}' number is specified"));
        }
    }
    if !request.form.contains_key("Twiml") && !request.form.contains_key("Url") {
        return error(400, 21205, "Url parameter is required");
    }
    state.next_id += 1;
    let sid = format!("CA{:032x}", state.next_id);
    state.calls.push(request.form.clone());
    Answer::json(
        201,
        json!({
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": request.form["To"],
            "from": request.form["From"],
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"),
        }),
    )
}
