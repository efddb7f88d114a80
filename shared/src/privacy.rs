//! Privacy by construction: how a real number is stored without being readable.
//!
//! - Lookup keys use a keyed hash (HMAC-SHA256 with `NUMBER_HASH_KEY`): deterministic, so a caller
//!   can be found by number, but useless to anyone holding the table without the key (a plain hash
//!   of a 10-digit number is reversed by enumeration in seconds).
//! - The only stored copy of a number is sealed with AES-256-GCM (`NUMBER_ENCRYPTION_KEY`) and a
//!   fresh random nonce, and is opened only where a call must actually be connected.
//! - Logs get [`E164::masked`](crate::domain::E164::masked).

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::{OrderId, Side, E164};

/// Whose number a sealed value is: the order and the side. It is the ciphertext's associated
/// data, so a sealed value copied into another order's items (or to the other side) does not
/// open: someone able to write the table still cannot redirect a call to a number of their choice.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub order: &'a OrderId,
    pub side: Side,
}

impl Owner<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "maskline/number/v2|{}|{}",
            self.order.as_str(),
            self.side.as_str()
        )
        .into_bytes()
    }
}

/// Tags sealed values so a future key or algorithm change can coexist with old items.
const SEALED_PREFIX: &str = "v2.";
/// Values sealed before they were bound to their owner; still opened, never written.
const LEGACY_PREFIX: &str = "v1.";
const LEGACY_AAD: &[u8] = b"maskline/number/v1";
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivacyError {
    #[error("{name} must be base64 of at least 32 random bytes (try: openssl rand -base64 32)")]
    WeakHashKey { name: &'static str },
    #[error("{name} must be base64 of exactly 32 random bytes (try: openssl rand -base64 32)")]
    BadEncryptionKey { name: &'static str },
    #[error(
        "a stored number could not be decrypted (wrong NUMBER_ENCRYPTION_KEY or corrupted item)"
    )]
    Undecryptable,
    #[error("NUMBER_HASH_KEY and NUMBER_ENCRYPTION_KEY must be different random keys")]
    SameKeys,
    #[error("{name} is not set")]
    MissingKey { name: &'static str },
}

/// The keyed hash of a real number: safe to put in a table key or compare, reveals nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallerKey(String);

impl CallerKey {
    /// Rebuilds a key read back from the store.
    pub fn from_stored(value: String) -> Self {
        CallerKey(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A real number encrypted for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedNumber(String);

impl SealedNumber {
    pub fn from_stored(value: String) -> Self {
        SealedNumber(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The lookup-key half of the vault: what a function needs that finds callers by number but
/// never reads one (call-events), so it is never given the encryption key.
#[derive(Clone)]
pub struct CallerKeys {
    hash_key: Vec<u8>,
}

impl std::fmt::Debug for CallerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerKeys(<key hidden>)")
    }
}

impl CallerKeys {
    /// From the base64 value of `NUMBER_HASH_KEY`.
    pub fn from_base64(hash_key: &str) -> Result<Self, PrivacyError> {
        let hash_key = STANDARD
            .decode(hash_key.trim())
            .ok()
            .filter(|k| k.len() >= 32)
            .ok_or(PrivacyError::WeakHashKey {
                name: "NUMBER_HASH_KEY",
            })?;
        Ok(CallerKeys { hash_key })
    }

    /// `NUMBER_HASH_KEY` from the function's settings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, PrivacyError> {
        Self::from_base64(&required_key(&lookup, "NUMBER_HASH_KEY")?)
    }

    pub fn caller_key(&self, number: &E164) -> CallerKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key)
            .expect("HMAC accepts any key length");
        mac.update(number.expose().as_bytes());
        CallerKey(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

fn required_key(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, PrivacyError> {
    lookup(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or(PrivacyError::MissingKey { name })
}

/// Hashing and sealing keys, loaded once at start-up, for the functions that seal or open
/// numbers (allocate, resolve-call, click-to-call).
#[derive(Clone)]
pub struct NumberVault {
    keys: CallerKeys,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for NumberVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NumberVault(<keys hidden>)")
    }
}

impl NumberVault {
    /// `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY` from the function's settings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, PrivacyError> {
        Self::from_base64(
            &required_key(&lookup, "NUMBER_HASH_KEY")?,
            &required_key(&lookup, "NUMBER_ENCRYPTION_KEY")?,
        )
    }

    /// Builds the vault from the base64 values of `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY`.
    pub fn from_base64(hash_key: &str, encryption_key: &str) -> Result<Self, PrivacyError> {
        let keys = CallerKeys::from_base64(hash_key)?;
        let encryption_key = STANDARD
            .decode(encryption_key.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or(PrivacyError::BadEncryptionKey {
                name: "NUMBER_ENCRYPTION_KEY",
            })?;
        // One secret in two places is one secret: whoever has the lookup key could open numbers.
        if encryption_key == keys.hash_key {
            return Err(PrivacyError::SameKeys);
        }
        let cipher = Aes256Gcm::new_from_slice(&encryption_key).map_err(|_| {
            PrivacyError::BadEncryptionKey {
                name: "NUMBER_ENCRYPTION_KEY",
            }
        })?;
        Ok(NumberVault { keys, cipher })
    }

    pub fn caller_key(&self, number: &E164) -> CallerKey {
        self.keys.caller_key(number)
    }

    /// The lookup half alone.
    pub fn caller_keys(&self) -> &CallerKeys {
        &self.keys
    }

    pub fn seal(&self, number: &E164, owner: Owner) -> SealedNumber {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: number.expose().as_bytes(),
                    aad: &owner.aad(),
                },
            )
            .expect("AES-GCM encryption of a short message cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        SealedNumber(format!("{SEALED_PREFIX}{}", STANDARD.encode(blob)))
    }

    pub fn open(&self, sealed: &SealedNumber, owner: Owner) -> Result<E164, PrivacyError> {
        let (encoded, aad) = match sealed.0.strip_prefix(SEALED_PREFIX) {
            Some(encoded) => (encoded, owner.aad()),
            None => (
                sealed
                    .0
                    .strip_prefix(LEGACY_PREFIX)
                    .ok_or(PrivacyError::Undecryptable)?,
                LEGACY_AAD.to_vec(),
            ),
        };
        let blob = STANDARD
            .decode(encoded)
            .ok()
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(PrivacyError::Undecryptable)?;
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| PrivacyError::Undecryptable)?;
        let text = String::from_utf8(plain).map_err(|_| PrivacyError::Undecryptable)?;
        E164::parse(&text, None).map_err(|_| PrivacyError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_KEY: &str = "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=";
    const ENC_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn vault() -> NumberVault {
        NumberVault::from_base64(HASH_KEY, ENC_KEY).unwrap()
    }

    fn number() -> E164 {
        E164::parse("+919876500001", None).unwrap()
    }

    fn order(id: &str) -> OrderId {
        OrderId::parse(id).unwrap()
    }

    fn owner(order: &OrderId) -> Owner<'_> {
        Owner {
            order,
            side: Side::Customer,
        }
    }

    #[test]
    fn keys_are_deterministic_keyed_and_opaque() {
        let v = vault();
        assert_eq!(v.caller_key(&number()), v.caller_key(&number()));
        assert!(!v.caller_key(&number()).as_str().contains("9876500001"));
        let other_key =
            NumberVault::from_base64("b3RoZXItaGFzaC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcw==", ENC_KEY)
                .unwrap();
        assert_ne!(v.caller_key(&number()), other_key.caller_key(&number()));
    }

    #[test]
    fn sealing_round_trips_and_hides_the_number() {
        let v = vault();
        let ord = order("ORD-1");
        let sealed = v.seal(&number(), owner(&ord));
        assert!(!sealed.as_str().contains("9876500001"));
        assert_ne!(
            sealed,
            v.seal(&number(), owner(&ord)),
            "a fresh nonce every time"
        );
        assert_eq!(v.open(&sealed, owner(&ord)).unwrap(), number());
    }

    #[test]
    fn tampering_or_a_wrong_key_is_detected() {
        let v = vault();
        let ord = order("ORD-1");
        let sealed = v.seal(&number(), owner(&ord));
        let mut tampered = sealed.as_str().to_string();
        tampered.replace_range(5..6, if &tampered[5..6] == "A" { "B" } else { "A" });
        assert_eq!(
            v.open(&SealedNumber::from_stored(tampered), owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
        let other =
            NumberVault::from_base64(HASH_KEY, "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
                .unwrap();
        assert_eq!(
            other.open(&sealed, owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
    }

    #[test]
    fn a_sealed_number_opens_only_for_its_order_and_side() {
        let v = vault();
        let ord = order("ORD-1");
        let sealed = v.seal(&number(), owner(&ord));
        let elsewhere = order("ORD-2");
        assert_eq!(
            v.open(&sealed, owner(&elsewhere)),
            Err(PrivacyError::Undecryptable),
            "copied into another order's items"
        );
        let other_side = Owner {
            order: &ord,
            side: Side::Driver,
        };
        assert_eq!(
            v.open(&sealed, other_side),
            Err(PrivacyError::Undecryptable),
            "moved to the other side"
        );
    }

    #[test]
    fn values_sealed_before_owners_were_bound_still_open() {
        let v = vault();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plain = number();
        let payload = Payload {
            msg: plain.expose().as_bytes(),
            aad: LEGACY_AAD,
        };
        let mut blob = nonce.to_vec();
        blob.extend(v.cipher.encrypt(&nonce, payload).unwrap());
        let legacy = SealedNumber(format!("{LEGACY_PREFIX}{}", STANDARD.encode(blob)));
        assert_eq!(v.open(&legacy, owner(&order("ANY"))).unwrap(), number());
    }

    #[test]
    fn the_same_key_for_both_is_refused_and_missing_keys_are_named() {
        assert_eq!(
            NumberVault::from_base64(ENC_KEY, ENC_KEY).unwrap_err(),
            PrivacyError::SameKeys
        );
        let only_hash = |name: &str| (name == "NUMBER_HASH_KEY").then(|| HASH_KEY.to_string());
        assert!(CallerKeys::from_lookup(only_hash).is_ok());
        assert_eq!(
            NumberVault::from_lookup(only_hash).unwrap_err(),
            PrivacyError::MissingKey {
                name: "NUMBER_ENCRYPTION_KEY"
            }
        );
    }

    #[test]
    fn weak_or_malformed_keys_are_refused() {
        assert!(matches!(
            NumberVault::from_base64("c2hvcnQ=", ENC_KEY),
            Err(PrivacyError::WeakHashKey { .. })
        ));
        assert!(matches!(
            NumberVault::from_base64(HASH_KEY, "not base64!"),
            Err(PrivacyError::BadEncryptionKey { .. })
        ));
    }
}
