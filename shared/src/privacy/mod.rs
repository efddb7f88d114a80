//! Privacy by construction: how a real number is stored without being readable.
//!
//! - Lookup keys use a keyed hash (HMAC-SHA256 with `NUMBER_HASH_KEY`): deterministic, so a caller
//!   can be found by number, but useless to anyone holding the table without the key (a plain hash
//!   of a 10-digit number is reversed by enumeration in seconds).
//! - The only stored copy of a number is sealed with AES-256-GCM (`NUMBER_ENCRYPTION_KEY`) and a
//!   fresh random nonce, and is opened only where a call must actually be connected.
//! - Logs get [`E164::masked`](crate::domain::E164::masked).
//!
//! Both keys may be comma-separated lists, current first, so either can be rotated with no
//! dropped call: new values use the current key, older listed keys still find and open what was
//! written under them (see [`CallerKeys`], [`SealKeys`] and [`NumberVault`]).

mod caller_keys;
mod key_id;
mod key_list;
mod key_usage;
mod seal_keys;
mod vault;

pub use crate::domain::CallerKey;
pub use caller_keys::CallerKeys;
pub use key_id::KeyId;
pub use key_usage::{CountByKey, KeyUsage};
#[cfg(any(test, feature = "simulate"))]
pub use seal_keys::legacy;
pub use seal_keys::{
    seal_key_ids, Owner, Resealed, SealFormat, SealKeys, SealedNumber, ACCEPT_LEGACY_SEALED,
};
pub use vault::NumberVault;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivacyError {
    #[error("{name} must be base64 of at least 32 random bytes (try: openssl rand -base64 32)")]
    WeakHashKey { name: &'static str },
    #[error("{name} must be base64 of exactly 32 random bytes (try: openssl rand -base64 32)")]
    BadEncryptionKey { name: &'static str },
    #[error("{name} lists the same key twice")]
    RepeatedKey { name: &'static str },
    #[error(
        "a stored number could not be decrypted (wrong NUMBER_ENCRYPTION_KEY or corrupted item)"
    )]
    Undecryptable,
    #[error(
        "a stored number was sealed under NUMBER_ENCRYPTION_KEY id {key_id}, which is no longer \
         listed: list it again (after the current key) until `maskctl keys status` shows none"
    )]
    UnlistedKey { key_id: KeyId },
    #[error(
        "a stored number is sealed in the v1 format, refused under ACCEPT_LEGACY_SEALED=off: \
         run `maskctl keys reseal` (or set ACCEPT_LEGACY_SEALED=on)"
    )]
    LegacyRefused,
    #[error("ACCEPT_LEGACY_SEALED must be on or off, got {0:?}")]
    BadLegacySetting(String),
    #[error("NUMBER_HASH_KEY and NUMBER_ENCRYPTION_KEY must be different random keys")]
    SameKeys,
    #[error("{name} is not set")]
    MissingKey { name: &'static str },
}

fn required_key(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, PrivacyError> {
    lookup(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or(PrivacyError::MissingKey { name })
}
