//! The sessions API's request bodies (`POST /v1/sessions`, `PATCH /v1/sessions/{order_id}`) as
//! domain types. Like the event contracts, a refusal names the field and says what is wrong with
//! it, but never repeats the value: the values include real phone numbers.

use chrono::Duration;
use serde_json::{Map, Value};

use super::number::DefaultCountry;
use super::{OrderId, PairMode, Participant, ParticipantId, Region, E164};

/// Why a request body was refused: which field, and what is wrong with it (never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RequestError {
    /// The field as the body spells it (`driver.phone`); `body` for the body as a whole.
    pub field: &'static str,
    pub reason: String,
}

impl RequestError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        RequestError {
            field,
            reason: reason.into(),
        }
    }
}

/// `POST /v1/sessions`: start masking an order (or repeat that request, or change its agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub order_id: OrderId,
    pub region: Region,
    pub customer: Participant,
    pub driver: Participant,
    /// How long the numbers stay callable; the deployment's maximum when absent.
    pub expires_in: Option<Duration>,
    /// `pair_mode`: one number per side (`pair`) or one for both (`single`); the deployment's
    /// `PAIR_MODE` when absent.
    pub pair_mode: Option<PairMode>,
}

/// `PATCH /v1/sessions/{order_id}`: a new agent, a longer life, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSession {
    pub driver: Option<Participant>,
    pub expires_in: Option<Duration>,
}

/// What every body is parsed with: the deployment's national format and its longest session.
#[derive(Debug, Clone, Copy)]
pub struct RequestRules {
    pub default_country: Option<DefaultCountry>,
    /// `SESSION_MAX_SECONDS`: the most `expires_in` may ask for.
    pub max_lifetime: Duration,
}

impl OpenSession {
    pub fn parse(body: &[u8], rules: RequestRules) -> Result<Self, RequestError> {
        let body = object(body)?;
        let order_id = OrderId::parse(text(&body, "order_id", "order_id")?)
            .map_err(|e| RequestError::new("order_id", e.to_string()))?;
        let region = Region::parse(text(&body, "region", "region")?)
            .map_err(|e| RequestError::new("region", e.to_string()))?;
        Ok(OpenSession {
            order_id,
            region,
            customer: participant(&body, Party::Customer, rules)?,
            driver: participant(&body, Party::Driver, rules)?,
            expires_in: expires_in(&body, rules)?,
            pair_mode: pair_mode(&body)?,
        })
    }
}

fn pair_mode(body: &Map<String, Value>) -> Result<Option<PairMode>, RequestError> {
    match body.get("pair_mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) => mode
            .parse()
            .map(Some)
            .map_err(|reason: String| RequestError::new("pair_mode", reason)),
        Some(_) => Err(RequestError::new(
            "pair_mode",
            "expected \"pair\" or \"single\"",
        )),
    }
}

impl ChangeSession {
    pub fn parse(body: &[u8], rules: RequestRules) -> Result<Self, RequestError> {
        let body = object(body)?;
        let driver = match body.get("driver") {
            None | Some(Value::Null) => None,
            Some(_) => Some(participant(&body, Party::Driver, rules)?),
        };
        let change = ChangeSession {
            driver,
            expires_in: expires_in(&body, rules)?,
        };
        if change.driver.is_none() && change.expires_in.is_none() {
            return Err(RequestError::new(
                "body",
                "nothing to change: send `driver` (a new agent) and/or `expires_in`",
            ));
        }
        Ok(change)
    }
}

fn object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(RequestError::new("body", "the body is not a JSON object")),
    }
}

#[derive(Clone, Copy)]
enum Party {
    Customer,
    Driver,
}

fn participant(
    body: &Map<String, Value>,
    party: Party,
    rules: RequestRules,
) -> Result<Participant, RequestError> {
    let (key, id_field, phone_field) = match party {
        Party::Customer => ("customer", "customer.id", "customer.phone"),
        Party::Driver => ("driver", "driver.id", "driver.phone"),
    };
    let Some(Value::Object(party)) = body.get(key) else {
        return Err(RequestError::new(key, "expected an object {id, phone}"));
    };
    let id = ParticipantId::parse_in(text(party, id_field, "id")?, rules.default_country)
        .map_err(|e| RequestError::new(id_field, e.to_string()))?;
    let phone = E164::parse(text(party, phone_field, "phone")?, rules.default_country)
        .map_err(|e| RequestError::new(phone_field, e.to_string()))?;
    Ok(Participant { id, phone })
}

/// `expires_in`: whole seconds, at least one, at most the deployment's longest session.
fn expires_in(
    body: &Map<String, Value>,
    rules: RequestRules,
) -> Result<Option<Duration>, RequestError> {
    let seconds = match body.get("expires_in") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value.as_i64().filter(|s| *s > 0).ok_or_else(|| {
            RequestError::new("expires_in", "expected a whole number of seconds above 0")
        })?,
    };
    let max = rules.max_lifetime.num_seconds();
    if seconds > max {
        return Err(RequestError::new(
            "expires_in",
            format!("at most {max} seconds (SESSION_MAX_SECONDS)"),
        ));
    }
    Ok(Some(Duration::seconds(seconds)))
}

fn text<'a>(
    object: &'a Map<String, Value>,
    field: &'static str,
    key: &str,
) -> Result<&'a str, RequestError> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Err(RequestError::new(field, "missing"))
        }
        Some(_) => Err(RequestError::new(field, "expected a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> RequestRules {
        RequestRules {
            default_country: Some("IN".parse().unwrap()),
            max_lifetime: Duration::hours(24),
        }
    }

    fn open(body: Value) -> Result<OpenSession, RequestError> {
        OpenSession::parse(body.to_string().as_bytes(), rules())
    }

    fn valid() -> Value {
        json!({
            "order_id": "ORD-1", "region": "BLR",
            "customer": {"id": "C-1", "phone": "+919876500001"},
            "driver": {"id": "D-1", "phone": "09876500002"},
        })
    }

    #[test]
    fn a_valid_body_becomes_an_open_session() {
        let request = open(valid()).unwrap();
        assert_eq!(request.order_id.as_str(), "ORD-1");
        assert_eq!(request.region.as_str(), "blr");
        assert_eq!(request.driver.phone.expose(), "+919876500002");
        assert_eq!(request.expires_in, None);
        let mut body = valid();
        body["expires_in"] = json!(600);
        assert_eq!(open(body).unwrap().expires_in, Some(Duration::seconds(600)));
    }

    #[test]
    fn each_refusal_names_its_field_and_never_the_number() {
        let cases = [
            ("customer.phone", json!("+91 12")),
            ("driver.phone", json!("not a number")),
            ("driver.id", json!("+919876500003")),
            ("order_id", json!("ORD 1")),
            ("region", json!("")),
            ("expires_in", json!(0)),
            ("expires_in", json!(24 * 3600 + 1)),
            ("expires_in", json!("60")),
        ];
        for (field, value) in cases {
            let mut body = valid();
            let mut target = &mut body;
            let path: Vec<&str> = field.split('.').collect();
            for key in &path[..path.len() - 1] {
                target = &mut target[*key];
            }
            target[path[path.len() - 1]] = value.clone();
            let error = open(body).unwrap_err();
            assert_eq!(error.field, field, "{value}: {error}");
            if let Some(text) = value.as_str() {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                if digits.len() > 4 {
                    assert!(!error.reason.contains(&digits), "{error} echoes the value");
                }
                assert!(!error.reason.contains(text) || text.is_empty(), "{error}");
            }
        }
        assert_eq!(open(json!([1])).unwrap_err().field, "body");
        assert_eq!(
            OpenSession::parse(b"{not json", rules()).unwrap_err().field,
            "body"
        );
        let mut body = valid();
        body.as_object_mut().unwrap().remove("driver");
        assert_eq!(open(body).unwrap_err().field, "driver");
    }

    #[test]
    fn a_change_asks_for_something() {
        let parse = |body: Value| ChangeSession::parse(body.to_string().as_bytes(), rules());
        assert_eq!(parse(json!({})).unwrap_err().field, "body");
        let change = parse(json!({"expires_in": 60})).unwrap();
        assert_eq!(change.expires_in, Some(Duration::seconds(60)));
        assert!(change.driver.is_none());
        let change = parse(json!({"driver": {"id": "D-2", "phone": "+919876500003"}})).unwrap();
        assert_eq!(change.driver.unwrap().id.as_str(), "D-2");
        assert_eq!(
            parse(json!({"driver": {"id": "D-2", "phone": "123"}}))
                .unwrap_err()
                .field,
            "driver.phone"
        );
    }
}
