//! Conversions between domain records and DynamoDB items.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::layout::{self, attr};
use crate::domain::ordering::AssignmentStamp;
use crate::domain::session::AssignedNumbers;
use crate::domain::{
    AllocationPolicy, OrderId, ParticipantId, Provider, Region, Session, SessionState, Side,
    VirtualNumber,
};
use crate::ports::{
    BindingWrite, NumberLock, NumberSlot, SessionRecord, StoreError, StoredBinding,
    StoredParticipant,
};
use crate::privacy::{CallerKey, KeyId, SealedNumber};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn ttl_after(live_until: DateTime<Utc>, retention_seconds: i64) -> AttributeValue {
    n(live_until.timestamp() + retention_seconds)
}

fn corrupt(item: &Item, what: &str) -> StoreError {
    let pk = item
        .get(layout::PK)
        .and_then(|v| v.as_s().ok())
        .map_or("?", String::as_str);
    StoreError::Corrupt(format!("{what} on item {pk}"))
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| corrupt(item, &format!("missing string attribute {name}")))
}

pub fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn get_n(item: &Item, name: &str) -> Result<i64, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt(item, &format!("missing number attribute {name}")))
}

pub fn get_time_ms(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(get_n(item, name)?)
        .ok_or_else(|| corrupt(item, &format!("out-of-range time {name}")))
}

fn opt_rfc3339(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    opt_s(item, name)
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| corrupt(item, &format!("bad timestamp {name}")))
        })
        .transpose()
}

pub fn parse_with<T, E>(
    item: &Item,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(get_s(item, name)?).map_err(|_| corrupt(item, &format!("invalid {name}")))
}

pub fn opt_parse_with<T, E>(
    item: &Item,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    opt_s(item, name)
        .map(|v| parse(v).map_err(|_| corrupt(item, &format!("invalid {name}"))))
        .transpose()
}

/// Where a participant's fields live on the session item.
struct PartyAttrs {
    id: &'static str,
    key: &'static str,
    key_id: &'static str,
    older_keys: &'static str,
    sealed: &'static str,
}

const CUSTOMER_ATTRS: PartyAttrs = PartyAttrs {
    id: attr::CUSTOMER_ID,
    key: attr::CUSTOMER_KEY,
    key_id: attr::CUSTOMER_KEY_ID,
    older_keys: attr::CUSTOMER_OLDER_KEYS,
    sealed: attr::CUSTOMER_SEALED,
};
const DRIVER_ATTRS: PartyAttrs = PartyAttrs {
    id: attr::DRIVER_ID,
    key: attr::DRIVER_KEY,
    key_id: attr::DRIVER_KEY_ID,
    older_keys: attr::DRIVER_OLDER_KEYS,
    sealed: attr::DRIVER_SEALED,
};

fn participant_attrs(item: &mut Item, party: &StoredParticipant, names: PartyAttrs) {
    item.insert(names.id.into(), s(party.id.as_str()));
    item.insert(names.key.into(), s(party.key.as_str()));
    if let Some(key_id) = &party.key_id {
        item.insert(names.key_id.into(), s(key_id.as_str()));
    }
    if !party.older_keys.is_empty() {
        let keys = party.older_keys.iter().map(|k| k.as_str().to_string());
        item.insert(names.older_keys.into(), AttributeValue::Ss(keys.collect()));
    }
    item.insert(names.sealed.into(), s(party.sealed.as_str()));
}

fn participant_from(
    item: &Item,
    names: PartyAttrs,
) -> Result<Option<StoredParticipant>, StoreError> {
    let Some(raw_id) = opt_s(item, names.id) else {
        return Ok(None);
    };
    let older_keys = match item.get(names.older_keys) {
        None => Vec::new(),
        Some(value) => value
            .as_ss()
            .map_err(|_| corrupt(item, "invalid older keys"))?
            .iter()
            .map(|k| CallerKey::from_stored(k.clone()))
            .collect(),
    };
    Ok(Some(StoredParticipant {
        id: ParticipantId::parse(raw_id).map_err(|_| corrupt(item, "invalid participant id"))?,
        key: CallerKey::from_stored(get_s(item, names.key)?.to_string()),
        key_id: opt_s(item, names.key_id).map(|id| KeyId::from_stored(id.to_string())),
        older_keys,
        sealed: SealedNumber::from_stored(get_s(item, names.sealed)?.to_string()),
    }))
}

pub fn session_item(record: &SessionRecord) -> Item {
    let session = &record.session;
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::order_pk(&session.order_id)));
    item.insert(layout::SK.into(), s(layout::SESSION));
    item.insert(attr::ORDER_ID.into(), s(session.order_id.as_str()));
    item.insert(
        attr::STATE.into(),
        s(match session.state {
            SessionState::Active => "active",
            SessionState::Released => "released",
        }),
    );
    item.insert(attr::POLICY.into(), s(record.policy.as_str()));
    item.insert(attr::VERSION.into(), n(record.version as i64));
    item.insert(attr::LIVE_UNTIL.into(), n(millis(session.live_until)));
    item.insert(
        layout::TTL.into(),
        ttl_after(session.live_until, layout::SESSION_RETENTION_SECONDS),
    );
    if let Some(region) = &session.region {
        item.insert(attr::REGION.into(), s(region.as_str()));
    }
    if let Some(customer) = &record.customer {
        participant_attrs(&mut item, customer, CUSTOMER_ATTRS);
    }
    if let Some(driver) = &record.driver {
        participant_attrs(&mut item, driver, DRIVER_ATTRS);
    }
    if let Some(numbers) = &session.numbers {
        item.insert(
            attr::CUSTOMER_DIALS.into(),
            s(numbers.customer_dials.as_str()),
        );
        item.insert(attr::DRIVER_DIALS.into(), s(numbers.driver_dials.as_str()));
        if let Some(backup) = &numbers.customer_backup {
            item.insert(attr::CUSTOMER_BACKUP.into(), s(backup.as_str()));
        }
        if let Some(backup) = &numbers.driver_backup {
            item.insert(attr::DRIVER_BACKUP.into(), s(backup.as_str()));
        }
    }
    if !record.providers.is_empty() {
        let providers = record
            .providers
            .iter()
            .map(|(vn, provider)| (vn.as_str().to_string(), s(provider.as_str())))
            .collect();
        item.insert(attr::PROVIDERS.into(), AttributeValue::M(providers));
    }
    if !record.slots.is_empty() {
        let slots = record
            .slots
            .iter()
            .map(|(vn, slot)| (vn.as_str().to_string(), n(i64::from(*slot))))
            .collect();
        item.insert(attr::SLOTS.into(), AttributeValue::M(slots));
    }
    if let Some(stamp) = &session.assignment {
        item.insert(attr::ASSIGNED_AT.into(), s(stamp.event_time.to_rfc3339()));
        if let Some(sequence) = stamp.sequence {
            item.insert(
                attr::ASSIGNMENT_SEQUENCE.into(),
                AttributeValue::N(sequence.to_string()),
            );
        }
        if let Some(t) = stamp.assigned_at {
            item.insert(attr::ASSIGNMENT_TIME.into(), s(t.to_rfc3339()));
        }
    }
    if let Some(t) = session.released_at {
        item.insert(attr::RELEASED_AT.into(), s(t.to_rfc3339()));
    }
    item
}

pub fn session_from_item(item: &Item) -> Result<SessionRecord, StoreError> {
    let state = match get_s(item, attr::STATE)? {
        "active" => SessionState::Active,
        "released" => SessionState::Released,
        _ => return Err(corrupt(item, "unknown session state")),
    };
    let vn = |v: &str| VirtualNumber::parse(v, None);
    let numbers = match (
        opt_parse_with(item, attr::CUSTOMER_DIALS, vn)?,
        opt_parse_with(item, attr::DRIVER_DIALS, vn)?,
    ) {
        (Some(customer_dials), Some(driver_dials)) => Some(AssignedNumbers {
            customer_dials,
            driver_dials,
            customer_backup: opt_parse_with(item, attr::CUSTOMER_BACKUP, vn)?,
            driver_backup: opt_parse_with(item, attr::DRIVER_BACKUP, vn)?,
        }),
        _ => None,
    };
    let customer = participant_from(item, CUSTOMER_ATTRS)?;
    let driver = participant_from(item, DRIVER_ATTRS)?;
    Ok(SessionRecord {
        session: Session {
            order_id: parse_with(item, attr::ORDER_ID, OrderId::parse)?,
            region: opt_parse_with(item, attr::REGION, Region::parse)?,
            state,
            customer_id: customer.as_ref().map(|c| c.id.clone()),
            driver_id: driver.as_ref().map(|d| d.id.clone()),
            numbers,
            assignment: assignment_from(item)?,
            live_until: get_time_ms(item, attr::LIVE_UNTIL)?,
            released_at: opt_rfc3339(item, attr::RELEASED_AT)?,
        },
        policy: parse_with(item, attr::POLICY, str::parse::<AllocationPolicy>)?,
        customer,
        driver,
        version: get_n(item, attr::VERSION)? as u64,
        providers: providers_from(item)?,
        slots: slots_from(item)?,
    })
}

fn slots_from(item: &Item) -> Result<BTreeMap<VirtualNumber, u32>, StoreError> {
    let Some(AttributeValue::M(map)) = item.get(attr::SLOTS) else {
        return Ok(BTreeMap::new());
    };
    map.iter()
        .map(|(vn, slot)| {
            let vn =
                VirtualNumber::parse(vn, None).map_err(|_| corrupt(item, "bad VN in slots"))?;
            let slot = slot
                .as_n()
                .ok()
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| corrupt(item, "bad slot number"))?;
            Ok((vn, slot))
        })
        .collect()
}

/// The stamp of the assignment in force; sessions stored before ordering fields have the time only.
fn assignment_from(item: &Item) -> Result<Option<AssignmentStamp>, StoreError> {
    let Some(event_time) = opt_rfc3339(item, attr::ASSIGNED_AT)? else {
        return Ok(None);
    };
    let sequence = item
        .get(attr::ASSIGNMENT_SEQUENCE)
        .map(|v| {
            v.as_n()
                .ok()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| corrupt(item, "bad assignment_sequence"))
        })
        .transpose()?;
    Ok(Some(AssignmentStamp {
        sequence,
        assigned_at: opt_rfc3339(item, attr::ASSIGNMENT_TIME)?,
        event_time,
    }))
}

fn providers_from(item: &Item) -> Result<BTreeMap<VirtualNumber, Provider>, StoreError> {
    let Some(AttributeValue::M(map)) = item.get(attr::PROVIDERS) else {
        return Ok(BTreeMap::new());
    };
    map.iter()
        .map(|(vn, provider)| {
            let vn =
                VirtualNumber::parse(vn, None).map_err(|_| corrupt(item, "bad VN in providers"))?;
            let provider = provider
                .as_s()
                .ok()
                .and_then(|p| Provider::parse(p).ok())
                .ok_or_else(|| corrupt(item, "bad provider in providers"))?;
            Ok((vn, provider))
        })
        .collect()
}

pub fn binding_item(binding: &BindingWrite, session: &Session) -> Item {
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::vn_pk(&binding.vn)));
    item.insert(
        layout::SK.into(),
        s(layout::binding_sk(&binding.caller_key)),
    );
    item.insert(
        layout::GSI2_PK.into(),
        s(layout::caller_gsi_pk(&binding.caller_key)),
    );
    item.insert(layout::GSI2_SK.into(), s(binding.vn.as_str()));
    item.insert(attr::ORDER_ID.into(), s(session.order_id.as_str()));
    item.insert(attr::CALLER_SIDE.into(), s(binding.caller_side.as_str()));
    if let Some(key_id) = &binding.caller_key_id {
        item.insert(attr::CALLER_KEY_ID.into(), s(key_id.as_str()));
    }
    if binding.shadow {
        item.insert(attr::SHADOW.into(), AttributeValue::Bool(true));
    }
    item.insert(attr::CALLEE.into(), s(binding.callee.as_str()));
    item.insert(attr::CALLER_ID.into(), s(binding.caller_id.as_str()));
    if let Some(provider) = &binding.provider {
        item.insert(attr::PROVIDER.into(), s(provider.as_str()));
    }
    item.insert(attr::LIVE_UNTIL.into(), n(millis(session.live_until)));
    item.insert(
        layout::TTL.into(),
        ttl_after(session.live_until, layout::BINDING_RETENTION_SECONDS),
    );
    item
}

pub fn binding_from_item(item: &Item) -> Result<StoredBinding, StoreError> {
    Ok(StoredBinding {
        order_id: parse_with(item, attr::ORDER_ID, OrderId::parse)?,
        caller_side: Side::parse(get_s(item, attr::CALLER_SIDE)?)
            .ok_or_else(|| corrupt(item, "unknown caller side"))?,
        callee: SealedNumber::from_stored(get_s(item, attr::CALLEE)?.to_string()),
        caller_id: parse_with(item, attr::CALLER_ID, |v| VirtualNumber::parse(v, None))?,
        live_until: get_time_ms(item, attr::LIVE_UNTIL)?,
        provider: opt_parse_with(item, attr::PROVIDER, Provider::parse)?,
    })
}

pub fn lock_item(lock: &NumberLock, session: &Session) -> Item {
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::vn_pk(&lock.vn)));
    item.insert(layout::SK.into(), s(layout::LOCK));
    item.insert(attr::ORDER_ID.into(), s(session.order_id.as_str()));
    item.insert(attr::SIDE.into(), s(lock.side.as_str()));
    item.insert(attr::LIVE_UNTIL.into(), n(millis(session.live_until)));
    item.insert(
        layout::TTL.into(),
        ttl_after(session.live_until, layout::BINDING_RETENTION_SECONDS),
    );
    item
}

/// A slot of a capped VN, held by `session` (see [`NumberSlot`]).
pub fn slot_item(slot: &NumberSlot, session: &Session) -> Item {
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::vn_pk(&slot.vn)));
    item.insert(layout::SK.into(), s(layout::slot_sk(slot.slot)));
    item.insert(attr::ORDER_ID.into(), s(session.order_id.as_str()));
    item.insert(attr::LIVE_UNTIL.into(), n(millis(session.live_until)));
    item.insert(
        layout::TTL.into(),
        ttl_after(session.live_until, layout::BINDING_RETENTION_SECONDS),
    );
    item
}

pub fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (layout::PK.to_string(), s(pk)),
        (layout::SK.to_string(), s(sk)),
    ])
}
