//! The single-table layout: every key format and attribute name lives here, and only here.
//!
//! | item          | pk                | sk                | notable attributes                                   |
//! |---------------|-------------------|-------------------|------------------------------------------------------|
//! | pool number   | `VN#<vn>`         | `META`            | region, operator, provider, health; GSI1 by region; GSI3 (allocation index) while active |
//! | binding       | `VN#<vn>`         | `BIND#<callerkey>`| order_id, caller_side, caller_key_id, callee (sealed), caller_id, live_until; GSI2 by caller |
//! | exclusive lock| `VN#<vn>`         | `LOCK`            | order_id, side, live_until                           |
//! | session       | `ORDER#<order>`   | `SESSION`         | state, version, participants (ids, keys and key ids, older keys, sealed), numbers, live_until |
//! | call record   | `ORDER#<order>`   | `CALL#<provider>#<call id>#<status>` | caller_side, dialled VN, duration, reported_at, announced |
//! | region        | `REGIONS`         | `<region>`        | lets operators list regions without a Scan           |
//! | pool target   | `TARGET#<region>` | `<operator>`      | provider, min, search                                |
//! | refill lease  | `LEASE#<region>`  | `<operator>`      | holder, live_until: one refill per (region, operator) |
//! |               |                   |                   | recently_acquired: VNs bought lately, until GSI1 shows them |
//!
//! A binding's key is (dialled VN, keyed hash of the caller), so "(VN, caller) is unique among live
//! bindings" is a property of the key itself, and resolving a call is one GetItem. Keeping a VN's
//! bindings in the VN's partition lets a health failover find them with one Query.
//! `<callerkey>` is an HMAC, never a number; `<vn>` is one of our own virtual numbers.

use crate::domain::{Operator, OrderId, Region, VirtualNumber};
use crate::privacy::CallerKey;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
/// The allocation index: only a region's active numbers, each under a random key, so an
/// allocation reads a small window at a random place instead of the whole pool.
pub const GSI3: &str = "gsi3";
/// The number's region (copied from `region` when the number turns active).
pub const GSI3_PK: &str = "gsi3pk";
/// `<16 random hex digits>#<vn>`: spreads windows over the pool and keeps keys unique.
pub const GSI3_SK: &str = "gsi3sk";
/// Epoch seconds after which DynamoDB may delete the item. Housekeeping only: expiry is always
/// judged from `live_until` when reading, because TTL deletion can lag by days.
pub const TTL: &str = "ttl";

pub const META: &str = "META";
pub const LOCK: &str = "LOCK";
/// The prefix of a VN's slot items (`SLOT#0`, `SLOT#1`, …) under `MAX_SESSIONS_PER_NUMBER`.
pub const SLOT_PREFIX: &str = "SLOT#";
pub const SESSION: &str = "SESSION";
pub const REGIONS: &str = "REGIONS";
pub const BIND_PREFIX: &str = "BIND#";
pub const CALL_PREFIX: &str = "CALL#";

pub mod attr {
    pub const VN: &str = "vn";
    pub const REGION: &str = "region";
    pub const OPERATOR: &str = "operator";
    pub const PROVIDER: &str = "provider";
    /// On a session: the provider of each of its VNs (a map VN -> provider).
    pub const PROVIDERS: &str = "providers";
    pub const SLOTS: &str = "slots";
    pub const HEALTH: &str = "health";
    /// active | standby | retiring (see `domain::pool::PoolState`).
    pub const POOL_STATE: &str = "pool_state";
    pub const SUSPECT: &str = "suspect";
    pub const CONSECUTIVE_FAILURES: &str = "consecutive_failures";
    pub const PROVIDER_REF: &str = "provider_ref";
    pub const ACTIVATED_AT: &str = "activated_at";
    pub const MIN: &str = "min";
    pub const SEARCH: &str = "search";
    pub const HOLDER: &str = "holder";
    /// On a refill lease: a string set of the VNs refill acquired that GSI1 may not show yet.
    pub const RECENTLY_ACQUIRED: &str = "recently_acquired";
    pub const CUSTOMER_BACKUP: &str = "customer_backup";
    pub const DRIVER_BACKUP: &str = "driver_backup";
    pub const ADDED_AT: &str = "added_at";
    pub const ORDER_ID: &str = "order_id";
    pub const CALLER_SIDE: &str = "caller_side";
    pub const SIDE: &str = "side";
    pub const CALLEE: &str = "callee";
    pub const CALLER_ID: &str = "caller_id";
    /// Epoch milliseconds; the authority on whether a binding, lock or session is still live.
    pub const LIVE_UNTIL: &str = "live_until";
    pub const STATE: &str = "state";
    pub const POLICY: &str = "policy";
    pub const VERSION: &str = "version";
    pub const CUSTOMER_ID: &str = "customer_id";
    pub const CUSTOMER_KEY: &str = "customer_key";
    pub const CUSTOMER_SEALED: &str = "customer_sealed";
    pub const DRIVER_ID: &str = "driver_id";
    pub const DRIVER_KEY: &str = "driver_key";
    pub const DRIVER_SEALED: &str = "driver_sealed";
    /// Which hash key made a participant's (or a binding's caller's) key: see `maskctl keys`.
    pub const CUSTOMER_KEY_ID: &str = "customer_key_id";
    pub const DRIVER_KEY_ID: &str = "driver_key_id";
    pub const CALLER_KEY_ID: &str = "caller_key_id";
    /// `true` on a binding's copy under an older hash key, written while a key is rotated out.
    pub const SHADOW: &str = "shadow";
    /// A participant's keys under older listed hash keys, while a rotation is under way.
    pub const CUSTOMER_OLDER_KEYS: &str = "customer_older_keys";
    pub const DRIVER_OLDER_KEYS: &str = "driver_older_keys";
    pub const CUSTOMER_DIALS: &str = "customer_dials";
    pub const DRIVER_DIALS: &str = "driver_dials";
    /// The assignment's EventBridge time (RFC 3339, whole seconds).
    pub const ASSIGNED_AT: &str = "assigned_at";
    /// The order platform's `sequence` of the assignment in force, when it sent one.
    pub const ASSIGNMENT_SEQUENCE: &str = "assignment_sequence";
    /// The order platform's own `assigned_at` (sub-second), when it sent one.
    pub const ASSIGNMENT_TIME: &str = "assignment_time";
    pub const RELEASED_AT: &str = "released_at";
    pub const CALL_ID: &str = "call_id";
    pub const CALL_STATUS: &str = "call_status";
    pub const DIALLED: &str = "dialled";
    pub const DURATION: &str = "duration_seconds";
    /// A call-log record's leg failed and was forwarded again on the backup.
    pub const RETRIED_ON_BACKUP: &str = "retried_on_backup";
    pub const REPORTED_AT: &str = "reported_at";
    /// Whether the call's CallCompleted/CallFailed went out (so a redelivery sends it once).
    pub const ANNOUNCED: &str = "announced";
}

/// Bindings and locks linger this long after expiry before TTL may remove them.
pub const BINDING_RETENTION_SECONDS: i64 = 24 * 3600;
/// Call logs are kept for a month.
pub const CALL_LOG_RETENTION_SECONDS: i64 = 30 * 24 * 3600;
/// Sessions and tombstones linger three weeks past their deadline: a released session or a
/// tombstone is what refuses a late DriverAssigned, so it must outlive every queued copy of that
/// event (DLQs keep messages 14 days and may be redriven on the last day), with a margin of
/// [`TTL_LAG_SECONDS`]. (Events older than `SESSION_MAX_SECONDS` are ignored anyway; this is
/// the second line.)
pub const SESSION_RETENTION_SECONDS: i64 = 21 * 24 * 3600;
/// The margin kept for DynamoDB's TTL processing ("typically within a few days").
pub const TTL_LAG_SECONDS: i64 = 2 * 24 * 3600;

pub fn slot_sk(slot: u32) -> String {
    format!("{SLOT_PREFIX}{slot}")
}

pub fn vn_pk(vn: &VirtualNumber) -> String {
    format!("VN#{vn}")
}

pub fn binding_sk(caller: &CallerKey) -> String {
    format!("{BIND_PREFIX}{}", caller.as_str())
}

pub fn caller_gsi_pk(caller: &CallerKey) -> String {
    format!("CALLER#{}", caller.as_str())
}

/// A request already acted on: `REPLAY#<hook>#<provider>#<sha256 of its id>` (hashed, so any id
/// a provider sends makes a well-formed key).
pub fn replay_pk(hook: &str, provider: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "{REPLAY_PREFIX}{hook}#{provider}#{}",
        hex::encode(Sha256::digest(id.as_bytes()))
    )
}

pub const REPLAY_PREFIX: &str = "REPLAY#";
pub const REPLAY_SK: &str = "REPLAY";

pub fn order_pk(order: &OrderId) -> String {
    format!("ORDER#{order}")
}

pub fn pool_gsi_pk(region: &Region) -> String {
    format!("POOL#{region}")
}

pub fn pool_gsi_sk(operator: &Operator, vn: &VirtualNumber) -> String {
    format!("{operator}#{vn}")
}

/// A fresh random place in the allocation index for `vn`.
pub fn allocation_key(vn: &VirtualNumber) -> String {
    format!("{:016x}#{vn}", rand::random::<u64>())
}

pub fn target_pk(region: &Region) -> String {
    format!("TARGET#{region}")
}

pub fn lease_pk(region: &Region) -> String {
    format!("LEASE#{region}")
}
