//! The sealing half of privacy: the only stored copy of a number, AES-256-GCM under
//! `NUMBER_ENCRYPTION_KEY`, opened only where a call must actually be connected.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::caller_keys::CallerKeys;
use super::key_id::KeyId;
use super::{key_list, required_key, PrivacyError};
use crate::domain::CallerKey;
use crate::domain::{OrderId, Side, E164};

const NAME: &str = "NUMBER_ENCRYPTION_KEY";

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

/// Sealed values name the key that sealed them: `v3.<key id>.<nonce and ciphertext>`, so a
/// rotated-out key is never tried blindly and an operator can count what still needs it.
const SEALED_PREFIX: &str = "v3.";
/// Owner-bound values from before keys were named; still opened (under any listed key), never
/// written.
const UNNAMED_PREFIX: &str = "v2.";
/// Values sealed before they were bound to their owner; still opened, never written.
const LEGACY_PREFIX: &str = "v1.";
const LEGACY_AAD: &[u8] = b"maskline/number/v1";
const NONCE_LEN: usize = 12;

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

    /// The key that sealed it; `None` for values sealed before keys were named.
    pub fn key_id(&self) -> Option<KeyId> {
        let (id, _) = self.0.strip_prefix(SEALED_PREFIX)?.split_once('.')?;
        Some(KeyId::from_stored(id.to_string()))
    }
}

/// The names of the keys a `NUMBER_ENCRYPTION_KEY` value lists, current first, for tools that
/// report on keys without sealing anything.
pub fn seal_key_ids(encryption_keys: &str) -> Result<Vec<KeyId>, PrivacyError> {
    Ok(decode_seal_keys(encryption_keys)?
        .iter()
        .map(|key| seal_key_id(key))
        .collect())
}

fn decode_seal_keys(encryption_keys: &str) -> Result<Vec<Vec<u8>>, PrivacyError> {
    key_list::decode(
        encryption_keys,
        NAME,
        |k| k.len() == 32,
        PrivacyError::BadEncryptionKey { name: NAME },
    )
}

fn seal_key_id(key: &[u8]) -> KeyId {
    KeyId::of("maskline/encryption-key", key)
}

#[derive(Clone)]
struct SealKey {
    id: KeyId,
    cipher: Aes256Gcm,
}

/// Hashing and sealing keys, loaded once at start-up, for the functions that seal or open
/// numbers (allocate, resolve-call, click-to-call). New seals use the first listed encryption
/// key; a value opens under the key it names, so an old key serves until nothing names it.
#[derive(Clone)]
pub struct NumberVault {
    keys: CallerKeys,
    seal_keys: Vec<SealKey>,
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
            &required_key(&lookup, NAME)?,
        )
    }

    /// Builds the vault from the values of `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY` (each
    /// one base64 key or a comma-separated list, current first).
    pub fn from_base64(hash_keys: &str, encryption_keys: &str) -> Result<Self, PrivacyError> {
        let keys = CallerKeys::from_base64(hash_keys)?;
        let encryption_keys = decode_seal_keys(encryption_keys)?;
        // One secret in two places is one secret: whoever has the lookup key could open numbers.
        if keys
            .secrets()
            .any(|hash| encryption_keys.iter().any(|enc| enc.as_slice() == hash))
        {
            return Err(PrivacyError::SameKeys);
        }
        let seal_keys = encryption_keys
            .iter()
            .map(|key| {
                Ok(SealKey {
                    id: seal_key_id(key),
                    cipher: Aes256Gcm::new_from_slice(key)
                        .map_err(|_| PrivacyError::BadEncryptionKey { name: NAME })?,
                })
            })
            .collect::<Result<_, PrivacyError>>()?;
        Ok(NumberVault { keys, seal_keys })
    }

    /// The number's key under the current hash key.
    pub fn caller_key(&self, number: &E164) -> CallerKey {
        self.keys.caller_key(number)
    }

    /// The lookup half alone.
    pub fn caller_keys(&self) -> &CallerKeys {
        &self.keys
    }

    /// The name of the encryption key new seals use.
    pub fn current_seal_id(&self) -> &KeyId {
        &self.seal_keys[0].id
    }

    /// The names of every listed encryption key, current first.
    pub fn seal_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.seal_keys.iter().map(|k| &k.id)
    }

    pub fn seal(&self, number: &E164, owner: Owner) -> SealedNumber {
        let current = &self.seal_keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = current
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
        SealedNumber(format!(
            "{SEALED_PREFIX}{}.{}",
            current.id,
            STANDARD.encode(blob)
        ))
    }

    pub fn open(&self, sealed: &SealedNumber, owner: Owner) -> Result<E164, PrivacyError> {
        if let Some(named) = sealed.0.strip_prefix(SEALED_PREFIX) {
            let (id, encoded) = named.split_once('.').ok_or(PrivacyError::Undecryptable)?;
            let key = self
                .seal_keys
                .iter()
                .find(|k| k.id.as_str() == id)
                .ok_or_else(|| PrivacyError::UnlistedKey {
                    key_id: KeyId::from_stored(id.to_string()),
                })?;
            return open_with(&key.cipher, encoded, &owner.aad());
        }
        let (encoded, aad) = match sealed.0.strip_prefix(UNNAMED_PREFIX) {
            Some(encoded) => (encoded, owner.aad()),
            None => (
                sealed
                    .0
                    .strip_prefix(LEGACY_PREFIX)
                    .ok_or(PrivacyError::Undecryptable)?,
                LEGACY_AAD.to_vec(),
            ),
        };
        // Unnamed values were sealed under whichever key was the only one then: try each.
        self.seal_keys
            .iter()
            .find_map(|k| open_with(&k.cipher, encoded, &aad).ok())
            .ok_or(PrivacyError::Undecryptable)
    }
}

fn open_with(cipher: &Aes256Gcm, encoded: &str, aad: &[u8]) -> Result<E164, PrivacyError> {
    let blob = STANDARD
        .decode(encoded)
        .ok()
        .filter(|b| b.len() > NONCE_LEN)
        .ok_or(PrivacyError::Undecryptable)?;
    let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| PrivacyError::Undecryptable)?;
    let text = String::from_utf8(plain).map_err(|_| PrivacyError::Undecryptable)?;
    E164::parse(&text, None).map_err(|_| PrivacyError::Undecryptable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_KEY: &str = "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=";
    const ENC_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const OTHER_ENC_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

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
        // A byte of the ciphertext, past the prefix and key id.
        let at = tampered.len() - 5;
        let swapped = if &tampered[at..at + 1] == "A" {
            "B"
        } else {
            "A"
        };
        tampered.replace_range(at..at + 1, swapped);
        assert_eq!(
            v.open(&SealedNumber::from_stored(tampered), owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
        let other = NumberVault::from_base64(HASH_KEY, OTHER_ENC_KEY).unwrap();
        assert!(matches!(
            other.open(&sealed, owner(&ord)),
            Err(PrivacyError::UnlistedKey { .. })
        ));
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
        let legacy = unnamed_seal(&v, LEGACY_PREFIX, LEGACY_AAD);
        assert_eq!(v.open(&legacy, owner(&order("ANY"))).unwrap(), number());
    }

    /// A value as sealed before keys were named (v1: no owner; v2: owner-bound).
    fn unnamed_seal(v: &NumberVault, prefix: &str, aad: &[u8]) -> SealedNumber {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plain = number();
        let payload = Payload {
            msg: plain.expose().as_bytes(),
            aad,
        };
        let mut blob = nonce.to_vec();
        blob.extend(v.seal_keys[0].cipher.encrypt(&nonce, payload).unwrap());
        SealedNumber(format!("{prefix}{}", STANDARD.encode(blob)))
    }

    #[test]
    fn a_rotated_list_seals_with_its_first_key_and_opens_what_older_keys_sealed() {
        let ord = order("ORD-1");
        let before = vault();
        let sealed_before = before.seal(&number(), owner(&ord));
        assert_eq!(
            sealed_before.key_id().as_ref(),
            Some(before.current_seal_id())
        );
        let unnamed = unnamed_seal(&before, UNNAMED_PREFIX, &owner(&ord).aad());
        assert_eq!(unnamed.key_id(), None);

        let rotating =
            NumberVault::from_base64(HASH_KEY, &format!("{OTHER_ENC_KEY},{ENC_KEY}")).unwrap();
        let sealed_now = rotating.seal(&number(), owner(&ord));
        assert_eq!(
            sealed_now.key_id().as_ref(),
            Some(rotating.current_seal_id())
        );
        assert_ne!(rotating.current_seal_id(), before.current_seal_id());
        for sealed in [&sealed_before, &unnamed, &sealed_now] {
            assert_eq!(rotating.open(sealed, owner(&ord)).unwrap(), number());
        }

        let after = NumberVault::from_base64(HASH_KEY, OTHER_ENC_KEY).unwrap();
        assert_eq!(after.open(&sealed_now, owner(&ord)).unwrap(), number());
        assert_eq!(
            after.open(&sealed_before, owner(&ord)),
            Err(PrivacyError::UnlistedKey {
                key_id: before.current_seal_id().clone()
            }),
            "dropped too early: the error names the key still needed"
        );
        assert_eq!(
            after.open(&unnamed, owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
    }

    #[test]
    fn the_same_key_for_both_is_refused_and_missing_keys_are_named() {
        assert_eq!(
            NumberVault::from_base64(ENC_KEY, ENC_KEY).unwrap_err(),
            PrivacyError::SameKeys
        );
        assert_eq!(
            NumberVault::from_base64(&format!("{HASH_KEY},{ENC_KEY}"), ENC_KEY).unwrap_err(),
            PrivacyError::SameKeys,
            "an old hash key reused as an encryption key is one secret too"
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
