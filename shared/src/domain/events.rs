//! Event contracts with the order platform: what comes in through EventBridge -> SQS, and what
//! Maskline publishes back. Parsing reports which field is wrong but never echoes a value, because
//! the values include real phone numbers.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::number::DefaultCountry;
use super::ordering::AssignmentStamp;
use super::session::{AssignedNumbers, SessionState};
use super::{
    AllocationPolicy, NumberError, Operator, OrderId, PairMode, Participant, ParticipantId, Region,
    VirtualNumber, E164,
};

/// The `source` of every event Maskline publishes.
pub const MASKLINE_SOURCE: &str = "maskline";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("message body is not a JSON object")]
    NotJson,
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    #[error("field `{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("field `{field}` is not a usable phone number: {reason}")]
    BadPhone {
        field: &'static str,
        reason: NumberError,
    },
    #[error("event type {0:?} is not handled by this function")]
    Unexpected(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverAssigned {
    pub order_id: OrderId,
    pub region: Region,
    pub customer: Participant,
    pub driver: Participant,
    /// Where this assignment stands among the order's assignments (see `domain::ordering`).
    pub stamp: AssignmentStamp,
    /// `pair_mode` of the event: this order's numbers one per side or one for both, instead of
    /// the deployment's `PAIR_MODE` (a new order only; a session keeps the mode it began in).
    pub pair_mode: Option<PairMode>,
}

impl DriverAssigned {
    /// The envelope's time: how old the event is.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.stamp.event_time
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderOutcome {
    Delivered,
    Cancelled,
    /// Ended through `DELETE /v1/sessions/{order_id}`, which does not say how.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEnded {
    pub order_id: OrderId,
    pub outcome: OrderOutcome,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    DriverAssigned(DriverAssigned),
    OrderEnded(OrderEnded),
}

impl OrderEvent {
    /// Parses an EventBridge event as delivered in the body of an SQS message.
    pub fn parse(body: &str, default_country: Option<DefaultCountry>) -> Result<Self, EventError> {
        let envelope: Value = serde_json::from_str(body).map_err(|_| EventError::NotJson)?;
        if !envelope.is_object() {
            return Err(EventError::NotJson);
        }
        let detail_type = text(&envelope, "detail-type", &["detail-type"])?;
        // Required: an event without a time could be neither aged nor ordered, and stamping it
        // "now" would make every redelivery of it the newest.
        let occurred_at =
            timestamp(&envelope, "time", "time")?.ok_or(EventError::Missing("time"))?;
        let detail = envelope
            .get("detail")
            .filter(|d| d.is_object())
            .ok_or(EventError::Missing("detail"))?;
        let order_id =
            OrderId::parse(text(detail, "detail.order_id", &["order_id"])?).map_err(|e| {
                EventError::Invalid {
                    field: "detail.order_id",
                    reason: e.to_string(),
                }
            })?;
        match detail_type {
            "DriverAssigned" => {
                let region =
                    Region::parse(text(detail, "detail.region", &["region"])?).map_err(|e| {
                        EventError::Invalid {
                            field: "detail.region",
                            reason: e.to_string(),
                        }
                    })?;
                let customer = participant(detail, Role::Customer, default_country)?;
                let driver = participant(detail, Role::Driver, default_country)?;
                let stamp = AssignmentStamp {
                    sequence: sequence(detail)?,
                    assigned_at: timestamp(detail, "detail.assigned_at", "assigned_at")?,
                    event_time: occurred_at,
                };
                Ok(OrderEvent::DriverAssigned(DriverAssigned {
                    order_id,
                    region,
                    customer,
                    driver,
                    stamp,
                    pair_mode: pair_mode(detail)?,
                }))
            }
            "OrderDelivered" | "OrderCancelled" => Ok(OrderEvent::OrderEnded(OrderEnded {
                order_id,
                outcome: if detail_type == "OrderDelivered" {
                    OrderOutcome::Delivered
                } else {
                    OrderOutcome::Cancelled
                },
                occurred_at,
            })),
            other => Err(EventError::Unexpected(other.chars().take(64).collect())),
        }
    }
}

/// An optional RFC 3339 timestamp field of `value`.
fn timestamp(
    value: &Value,
    field: &'static str,
    key: &str,
) -> Result<Option<DateTime<Utc>>, EventError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => DateTime::parse_from_rfc3339(t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| EventError::Invalid {
                field,
                reason: e.to_string(),
            }),
        Some(_) => Err(EventError::Invalid {
            field,
            reason: "expected an RFC 3339 timestamp".into(),
        }),
    }
}

/// `detail.pair_mode`: optional, `pair` or `single`.
fn pair_mode(detail: &Value) -> Result<Option<PairMode>, EventError> {
    match detail.get("pair_mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) => mode
            .parse()
            .map(Some)
            .map_err(|reason| EventError::Invalid {
                field: "detail.pair_mode",
                reason,
            }),
        Some(_) => Err(EventError::Invalid {
            field: "detail.pair_mode",
            reason: "expected \"pair\" or \"single\"".into(),
        }),
    }
}

/// `detail.sequence`: an optional non-negative integer.
fn sequence(detail: &Value) -> Result<Option<u64>, EventError> {
    match detail.get("sequence") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or(EventError::Invalid {
            field: "detail.sequence",
            reason: "expected a non-negative integer".into(),
        }),
    }
}

#[derive(Clone, Copy)]
enum Role {
    Customer,
    Driver,
}

fn participant(
    detail: &Value,
    role: Role,
    default_country: Option<DefaultCountry>,
) -> Result<Participant, EventError> {
    let (key, id_field, phone_field) = match role {
        Role::Customer => ("customer", "detail.customer.id", "detail.customer.phone"),
        Role::Driver => ("driver", "detail.driver.id", "detail.driver.phone"),
    };
    let party = detail
        .get(key)
        .filter(|p| p.is_object())
        .ok_or(EventError::Missing(match role {
            Role::Customer => "detail.customer",
            Role::Driver => "detail.driver",
        }))?;
    let id =
        ParticipantId::parse_in(text(party, id_field, &["id"])?, default_country).map_err(|e| {
            EventError::Invalid {
                field: id_field,
                reason: e.to_string(),
            }
        })?;
    let phone =
        E164::parse(text(party, phone_field, &["phone"])?, default_country).map_err(|reason| {
            EventError::BadPhone {
                field: phone_field,
                reason,
            }
        })?;
    Ok(Participant { id, phone })
}

fn text<'a>(value: &'a Value, field: &'static str, path: &[&str]) -> Result<&'a str, EventError> {
    let mut current = value;
    for key in path {
        current = current.get(*key).ok_or(EventError::Missing(field))?;
    }
    match current {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        Value::String(_) | Value::Null => Err(EventError::Missing(field)),
        _ => Err(EventError::Invalid {
            field,
            reason: "expected a string".into(),
        }),
    }
}

/// What Maskline tells the order platform. Only virtual numbers and ids, never a real number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedEvent {
    /// `version` (on this and the next two) is the session's version the event describes: it
    /// grows with every change of the order's session, and events can arrive out of order (a
    /// redelivery that read the session before a failover publishes after it), so a consumer
    /// drops an event whose version is lower than the one it already holds for the order.
    /// `state` (on all three) is the session's: after `MaskedNumbersReleased` no event says
    /// `active` again, and two events of one version describe the same session, state and
    /// numbers alike.
    MaskedNumbersAssigned {
        order_id: OrderId,
        numbers: AssignedNumbers,
        expires_at: DateTime<Utc>,
        version: u64,
        state: SessionState,
    },
    /// A number of the order was replaced (it turned unhealthy): the apps must show the new ones.
    /// A released session still in its grace window moves too (its calls keep working) and says
    /// so: `state` stays `released`.
    MaskedNumbersChanged {
        order_id: OrderId,
        numbers: AssignedNumbers,
        replaced: VirtualNumber,
        expires_at: DateTime<Utc>,
        version: u64,
        state: SessionState,
    },
    MaskedNumbersReleased {
        order_id: OrderId,
        released_at: DateTime<Utc>,
        callable_until: DateTime<Utc>,
        version: u64,
        /// The numbers callable until `callable_until` (none for an order released before it
        /// was ever assigned).
        numbers: Option<AssignedNumbers>,
    },
    PoolExhausted {
        region: Region,
        order_id: OrderId,
        policy: AllocationPolicy,
    },
    /// A call between the parties ended after they talked.
    CallCompleted {
        order_id: OrderId,
        call_id: String,
        provider: &'static str,
        direction: &'static str,
        duration_seconds: Option<u32>,
    },
    /// Calls on this VN failed this many times in a row: the provider may be in trouble with it.
    NumberSuspect {
        vn: VirtualNumber,
        region: Region,
        operator: Operator,
        consecutive_failures: u32,
    },
    /// A call did not connect (busy, no answer, failed, cancelled).
    CallFailed {
        order_id: OrderId,
        call_id: String,
        provider: &'static str,
        direction: &'static str,
        status: &'static str,
    },
}

impl PublishedEvent {
    /// The order the event is about (`NumberSuspect` is about a number).
    pub fn order_id(&self) -> Option<&OrderId> {
        match self {
            PublishedEvent::MaskedNumbersAssigned { order_id, .. }
            | PublishedEvent::MaskedNumbersChanged { order_id, .. }
            | PublishedEvent::MaskedNumbersReleased { order_id, .. }
            | PublishedEvent::PoolExhausted { order_id, .. }
            | PublishedEvent::CallCompleted { order_id, .. }
            | PublishedEvent::CallFailed { order_id, .. } => Some(order_id),
            PublishedEvent::NumberSuspect { .. } => None,
        }
    }

    pub fn detail_type(&self) -> &'static str {
        match self {
            PublishedEvent::MaskedNumbersAssigned { .. } => "MaskedNumbersAssigned",
            PublishedEvent::MaskedNumbersChanged { .. } => "MaskedNumbersChanged",
            PublishedEvent::NumberSuspect { .. } => "NumberSuspect",
            PublishedEvent::MaskedNumbersReleased { .. } => "MaskedNumbersReleased",
            PublishedEvent::PoolExhausted { .. } => "PoolExhausted",
            PublishedEvent::CallCompleted { .. } => "CallCompleted",
            PublishedEvent::CallFailed { .. } => "CallFailed",
        }
    }

    pub fn detail(&self) -> Value {
        match self {
            PublishedEvent::MaskedNumbersAssigned {
                order_id,
                numbers,
                expires_at,
                version,
                state,
            } => {
                let mut detail = numbers_detail(order_id, numbers, *expires_at, *version);
                detail["state"] = json!(state);
                detail
            }
            PublishedEvent::MaskedNumbersChanged {
                order_id,
                numbers,
                replaced,
                expires_at,
                version,
                state,
            } => {
                let mut detail = numbers_detail(order_id, numbers, *expires_at, *version);
                detail["replaced"] = json!(replaced);
                detail["state"] = json!(state);
                detail
            }
            PublishedEvent::NumberSuspect {
                vn,
                region,
                operator,
                consecutive_failures,
            } => json!({
                "vn": vn,
                "region": region,
                "operator": operator,
                "consecutive_failures": consecutive_failures,
            }),
            PublishedEvent::MaskedNumbersReleased {
                order_id,
                released_at,
                callable_until,
                version,
                numbers,
            } => {
                let mut detail = match numbers {
                    Some(numbers) => numbers_detail(order_id, numbers, *callable_until, *version),
                    None => json!({"order_id": order_id, "version": version}),
                };
                detail["released_at"] = json!(rfc3339(*released_at));
                detail["callable_until"] = json!(rfc3339(*callable_until));
                detail["state"] = json!(SessionState::Released);
                detail
            }
            PublishedEvent::PoolExhausted {
                region,
                order_id,
                policy,
            } => json!({
                "region": region,
                "order_id": order_id,
                "policy": policy.as_str(),
            }),
            PublishedEvent::CallCompleted {
                order_id,
                call_id,
                provider,
                direction,
                duration_seconds,
            } => json!({
                "order_id": order_id,
                "call_id": call_id,
                "provider": provider,
                "direction": direction,
                "duration_seconds": duration_seconds,
            }),
            PublishedEvent::CallFailed {
                order_id,
                call_id,
                provider,
                direction,
                status,
            } => json!({
                "order_id": order_id,
                "call_id": call_id,
                "provider": provider,
                "direction": direction,
                "status": status,
            }),
        }
    }
}

/// The numbers an order's apps show, as announced: backups only when the session has them.
fn numbers_detail(
    order_id: &OrderId,
    numbers: &AssignedNumbers,
    expires_at: DateTime<Utc>,
    version: u64,
) -> Value {
    let mut detail = json!({
        "order_id": order_id,
        "customer_dials": numbers.customer_dials,
        "driver_dials": numbers.driver_dials,
        "expires_at": rfc3339(expires_at),
        "version": version,
    });
    if let Some(backup) = &numbers.customer_backup {
        detail["customer_backup"] = json!(backup);
    }
    if let Some(backup) = &numbers.driver_backup {
        detail["driver_backup"] = json!(backup);
    }
    detail
}

/// The region a refill trigger (`PoolExhausted`, or the order platform's `OrderPlaced`) is about.
pub fn refill_trigger_region(body: &str) -> Result<Region, EventError> {
    let envelope: Value = serde_json::from_str(body).map_err(|_| EventError::NotJson)?;
    let detail_type = text(&envelope, "detail-type", &["detail-type"])?;
    if !matches!(detail_type, "PoolExhausted" | "OrderPlaced") {
        return Err(EventError::Unexpected(
            detail_type.chars().take(64).collect(),
        ));
    }
    Region::parse(text(&envelope, "detail.region", &["detail", "region"])?).map_err(|e| {
        EventError::Invalid {
            field: "detail.region",
            reason: e.to_string(),
        }
    })
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE_C: &str = "+919876500001";
    const PHONE_D: &str = "+919876500002";

    fn assigned(detail: Value) -> String {
        json!({"version":"0","id":"e-1","detail-type":"DriverAssigned","source":"orders",
               "time":"2026-11-22T10:00:00Z","detail": detail})
        .to_string()
    }

    fn good_detail() -> Value {
        json!({"order_id":"ORD-1","region":"blr",
               "customer":{"id":"C-1","phone":PHONE_C},"driver":{"id":"D-7","phone":PHONE_D}})
    }

    fn india() -> Option<DefaultCountry> {
        Some("IN".parse().unwrap())
    }

    #[test]
    fn parses_the_documented_driver_assigned_contract() {
        let OrderEvent::DriverAssigned(e) =
            OrderEvent::parse(&assigned(good_detail()), india()).unwrap()
        else {
            panic!("expected DriverAssigned");
        };
        assert_eq!(e.order_id.as_str(), "ORD-1");
        assert_eq!(e.region.as_str(), "blr");
        assert_eq!(e.customer.phone.expose(), PHONE_C);
        assert_eq!(e.driver.id.as_str(), "D-7");
        assert_eq!(rfc3339(e.occurred_at()), "2026-11-22T10:00:00Z");
        assert_eq!((e.stamp.sequence, e.stamp.assigned_at), (None, None));
        assert_eq!(e.pair_mode, None, "the deployment's PAIR_MODE decides");
    }

    #[test]
    fn an_assignment_may_ask_for_one_number_for_both_parties() {
        let mut detail = good_detail();
        detail["pair_mode"] = json!("single");
        let OrderEvent::DriverAssigned(e) = OrderEvent::parse(&assigned(detail), india()).unwrap()
        else {
            panic!("expected DriverAssigned");
        };
        assert_eq!(e.pair_mode, Some(PairMode::Single));
        for bad in [json!("both"), json!(1)] {
            let mut detail = good_detail();
            detail["pair_mode"] = bad;
            assert!(matches!(
                OrderEvent::parse(&assigned(detail), india()),
                Err(EventError::Invalid {
                    field: "detail.pair_mode",
                    ..
                })
            ));
        }
    }

    #[test]
    fn reads_the_ordering_fields_of_an_assignment() {
        let mut detail = good_detail();
        detail["sequence"] = json!(42);
        detail["assigned_at"] = json!("2026-11-22T10:00:00.250Z");
        let OrderEvent::DriverAssigned(e) = OrderEvent::parse(&assigned(detail), india()).unwrap()
        else {
            panic!("expected DriverAssigned");
        };
        assert_eq!(e.stamp.sequence, Some(42));
        assert_eq!(
            e.stamp.assigned_at.unwrap().timestamp_subsec_millis(),
            250,
            "sub-second precision is kept"
        );
        for (field, bad) in [
            ("sequence", json!(-1)),
            ("sequence", json!("7")),
            ("assigned_at", json!("yesterday")),
        ] {
            let mut detail = good_detail();
            detail[field] = bad;
            assert!(
                matches!(
                    OrderEvent::parse(&assigned(detail), india()),
                    Err(EventError::Invalid { .. })
                ),
                "{field}"
            );
        }
    }

    #[test]
    fn an_event_without_a_time_is_refused() {
        let body = json!({"detail-type":"DriverAssigned","source":"orders","detail":good_detail()});
        assert_eq!(
            OrderEvent::parse(&body.to_string(), india()),
            Err(EventError::Missing("time"))
        );
    }

    #[test]
    fn parses_delivery_and_cancellation() {
        for (kind, outcome) in [
            ("OrderDelivered", OrderOutcome::Delivered),
            ("OrderCancelled", OrderOutcome::Cancelled),
        ] {
            let body = json!({"detail-type":kind,"source":"orders",
                              "time":"2026-11-22T10:00:00Z","detail":{"order_id":"ORD-9"}});
            let OrderEvent::OrderEnded(e) = OrderEvent::parse(&body.to_string(), None).unwrap()
            else {
                panic!("expected OrderEnded");
            };
            assert_eq!((e.order_id.as_str(), e.outcome), ("ORD-9", outcome));
        }
    }

    #[test]
    fn names_the_missing_or_bad_field_without_echoing_numbers() {
        let mut no_phone = good_detail();
        no_phone["driver"].as_object_mut().unwrap().remove("phone");
        assert_eq!(
            OrderEvent::parse(&assigned(no_phone), india()),
            Err(EventError::Missing("detail.driver.phone"))
        );

        let mut bad_phone = good_detail();
        bad_phone["customer"]["phone"] = json!("+91 98765");
        let err = OrderEvent::parse(&assigned(bad_phone), india()).unwrap_err();
        assert!(matches!(
            err,
            EventError::BadPhone {
                field: "detail.customer.phone",
                ..
            }
        ));
        assert!(!err.to_string().contains("98765"));

        let mut numeric_phone = good_detail();
        numeric_phone["customer"]["phone"] = json!(919876500001u64);
        let err = OrderEvent::parse(&assigned(numeric_phone), india()).unwrap_err();
        assert!(!err.to_string().contains("9876500001"));

        assert_eq!(
            OrderEvent::parse("{not json", None),
            Err(EventError::NotJson)
        );
        assert_eq!(
            OrderEvent::parse(
                &json!({"detail-type":"DriverAssigned","time":"2026-11-22T10:00:00Z"}).to_string(),
                None
            ),
            Err(EventError::Missing("detail"))
        );
        let mut no_region = good_detail();
        no_region.as_object_mut().unwrap().remove("region");
        assert_eq!(
            OrderEvent::parse(&assigned(no_region), india()),
            Err(EventError::Missing("detail.region"))
        );
    }

    #[test]
    fn published_details_carry_only_virtual_numbers() {
        let vn = |v: &str| VirtualNumber::parse(v, None).unwrap();
        let mut numbers = AssignedNumbers::new(vn("+918041000001"), vn("+918041000002"));
        let event = PublishedEvent::MaskedNumbersAssigned {
            order_id: OrderId::parse("ORD-1").unwrap(),
            numbers: numbers.clone(),
            expires_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            version: 1,
            state: SessionState::Active,
        };
        assert_eq!(event.detail_type(), "MaskedNumbersAssigned");
        assert_eq!(
            event.detail(),
            json!({"order_id":"ORD-1","customer_dials":"+918041000001",
                   "driver_dials":"+918041000002","expires_at":"2026-11-23T10:00:00Z",
                   "version":1,"state":"active"})
        );
        numbers.customer_backup = Some(vn("+918041000003"));
        numbers.driver_backup = Some(vn("+918041000004"));
        let changed = PublishedEvent::MaskedNumbersChanged {
            order_id: OrderId::parse("ORD-1").unwrap(),
            numbers,
            replaced: vn("+918041000009"),
            expires_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            version: 2,
            state: SessionState::Released,
        };
        assert_eq!(
            changed.detail(),
            json!({"order_id":"ORD-1","customer_dials":"+918041000001",
                   "driver_dials":"+918041000002","customer_backup":"+918041000003",
                   "driver_backup":"+918041000004","replaced":"+918041000009",
                   "expires_at":"2026-11-23T10:00:00Z","version":2,"state":"released"})
        );
    }

    #[test]
    fn refill_triggers_name_their_region() {
        let trigger = |kind: &str, detail: Value| {
            json!({"detail-type": kind, "source": "x", "detail": detail}).to_string()
        };
        assert_eq!(
            refill_trigger_region(&trigger(
                "OrderPlaced",
                json!({"order_id":"O","region":"BLR"})
            ))
            .unwrap()
            .as_str(),
            "blr"
        );
        assert!(refill_trigger_region(&trigger("PoolExhausted", json!({}))).is_err());
        assert!(matches!(
            refill_trigger_region(&trigger("DriverAssigned", json!({"region":"blr"}))),
            Err(EventError::Unexpected(_))
        ));
        assert_eq!(refill_trigger_region("nope"), Err(EventError::NotJson));
    }
}
