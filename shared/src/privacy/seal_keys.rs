//! The sealing half of privacy: the only stored copy of a number, AES-256-GCM under
//! `NUMBER_ENCRYPTION_KEY`, opened only where a call must actually be connected. It needs no
//! hash key, so a function that only opens numbers (click-to-call) is never given one.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::key_id::KeyId;
use super::{key_list, required_key, PrivacyError};
use crate::domain::{OrderId, Side, E164};

const NAME: &str = "NUMBER_ENCRYPTION_KEY";
/// `off` once `maskctl keys reseal` reports no `v1.` value left: the vault then refuses them.
pub const ACCEPT_LEGACY_SEALED: &str = "ACCEPT_LEGACY_SEALED";

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
/// Values sealed before they were bound to their owner: a copy opens in any order's items.
/// Opened unless `ACCEPT_LEGACY_SEALED=off`; never written; `maskctl keys reseal` rewrites them.
const LEGACY_PREFIX: &str = "v1.";
const LEGACY_AAD: &[u8] = b"maskline/number/v1";
const NONCE_LEN: usize = 12;

/// A real number encrypted for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedNumber(String);

/// How a stored value was sealed, read from its prefix alone (nothing is decrypted).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SealFormat {
    /// `v1.`: constant associated data, not bound to its owner.
    V1,
    /// `v2.`: owner-bound, sealed before keys were named.
    V2,
    /// `v3.<key id>.`: owner-bound, naming its key.
    V3(KeyId),
    /// No format this code ever wrote.
    Unknown,
}

impl SealedNumber {
    pub fn from_stored(value: String) -> Self {
        SealedNumber(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that sealed it; `None` for values sealed before keys were named.
    pub fn key_id(&self) -> Option<KeyId> {
        match self.format() {
            SealFormat::V3(id) => Some(id),
            _ => None,
        }
    }

    pub fn format(&self) -> SealFormat {
        if let Some(named) = self.0.strip_prefix(SEALED_PREFIX) {
            return match named.split_once('.') {
                Some((id, _)) => SealFormat::V3(KeyId::from_stored(id.to_string())),
                None => SealFormat::Unknown,
            };
        }
        if self.0.starts_with(UNNAMED_PREFIX) {
            SealFormat::V2
        } else if self.0.starts_with(LEGACY_PREFIX) {
            SealFormat::V1
        } else {
            SealFormat::Unknown
        }
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

/// What a value resealed under the current key gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resealed {
    /// Already `v3.` under the current key: nothing to write.
    Current,
    /// The same number, sealed afresh as `v3.` under the current key for the same owner.
    New(SealedNumber),
}

/// The listed encryption keys, current first, loaded once at start-up. New seals use the first;
/// a value opens under the key it names, so an old key serves until nothing names it.
#[derive(Clone)]
pub struct SealKeys {
    keys: Vec<SealKey>,
    accept_v1: bool,
}

impl std::fmt::Debug for SealKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKeys(<keys hidden>)")
    }
}

impl SealKeys {
    /// `NUMBER_ENCRYPTION_KEY` and `ACCEPT_LEGACY_SEALED` (on unless `off`) from the settings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, PrivacyError> {
        let keys = Self::from_base64(&required_key(&lookup, NAME)?)?;
        let accept_v1 = match lookup(ACCEPT_LEGACY_SEALED).as_deref().map(str::trim) {
            None | Some("") | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(PrivacyError::BadLegacySetting(other.to_string())),
        };
        Ok(keys.accepting_v1(accept_v1))
    }

    /// From the value of `NUMBER_ENCRYPTION_KEY` (one base64 key or a comma-separated list,
    /// current first); `v1.` values are opened.
    pub fn from_base64(encryption_keys: &str) -> Result<Self, PrivacyError> {
        let keys = decode_seal_keys(encryption_keys)?
            .iter()
            .map(|key| {
                Ok(SealKey {
                    id: seal_key_id(key),
                    cipher: Aes256Gcm::new_from_slice(key)
                        .map_err(|_| PrivacyError::BadEncryptionKey { name: NAME })?,
                })
            })
            .collect::<Result<_, PrivacyError>>()?;
        Ok(SealKeys {
            keys,
            accept_v1: true,
        })
    }

    /// Whether `v1.` values are opened (`ACCEPT_LEGACY_SEALED`).
    pub fn accepting_v1(mut self, accept: bool) -> Self {
        self.accept_v1 = accept;
        self
    }

    /// Whether `secret` is one of the listed keys (by its name, which only that key has).
    pub(super) fn lists(&self, secret: &[u8]) -> bool {
        let id = seal_key_id(secret);
        self.keys.iter().any(|k| k.id == id)
    }

    /// The name of the key new seals use.
    pub fn current_id(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// The names of every listed key, current first.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    pub fn seal(&self, number: &E164, owner: Owner) -> SealedNumber {
        let current = &self.keys[0];
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
        if !self.accept_v1 && sealed.format() == SealFormat::V1 {
            return Err(PrivacyError::LegacyRefused);
        }
        self.open_any(sealed, owner)
    }

    /// `sealed` as `v3.` under the current key for `owner`, whatever it was sealed as (a `v1.`
    /// value too, whatever `ACCEPT_LEGACY_SEALED` says: this is how they are retired). A `v1.`
    /// value is bound to no owner, so it becomes bound to the one it is stored under.
    pub fn reseal(&self, sealed: &SealedNumber, owner: Owner) -> Result<Resealed, PrivacyError> {
        if sealed.key_id().as_ref() == Some(self.current_id()) {
            return Ok(Resealed::Current);
        }
        let number = self.open_any(sealed, owner)?;
        Ok(Resealed::New(self.seal(&number, owner)))
    }

    fn open_any(&self, sealed: &SealedNumber, owner: Owner) -> Result<E164, PrivacyError> {
        if let Some(named) = sealed.0.strip_prefix(SEALED_PREFIX) {
            let (id, encoded) = named.split_once('.').ok_or(PrivacyError::Undecryptable)?;
            let key = self
                .keys
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
        self.keys
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

/// Values as older code sealed them, for tests of the migration (v1: no owner; v2: owner-bound,
/// unnamed key). Never used to write in production.
#[cfg(any(test, feature = "simulate"))]
pub mod legacy {
    use super::*;

    /// `number` sealed as a `v1.` value under `keys`' current key.
    pub fn seal_v1(keys: &SealKeys, number: &E164) -> SealedNumber {
        unnamed_seal(keys, number, LEGACY_PREFIX, LEGACY_AAD)
    }

    /// `number` sealed as a `v2.` value for `owner` under `keys`' current key.
    pub fn seal_v2(keys: &SealKeys, number: &E164, owner: Owner) -> SealedNumber {
        unnamed_seal(keys, number, UNNAMED_PREFIX, &owner.aad())
    }

    fn unnamed_seal(keys: &SealKeys, number: &E164, prefix: &str, aad: &[u8]) -> SealedNumber {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: number.expose().as_bytes(),
            aad,
        };
        let mut blob = nonce.to_vec();
        blob.extend(keys.keys[0].cipher.encrypt(&nonce, payload).unwrap());
        SealedNumber(format!("{prefix}{}", STANDARD.encode(blob)))
    }
}

#[cfg(test)]
mod tests {
    use super::legacy::{seal_v1, seal_v2};
    use super::*;

    const ENC_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const OTHER_ENC_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    fn keys() -> SealKeys {
        SealKeys::from_base64(ENC_KEY).unwrap()
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
        let k = keys();
        let ord = order("ORD-1");
        let sealed = k.seal(&number(), owner(&ord));
        assert!(!sealed.as_str().contains("9876500001"));
        assert_ne!(
            sealed,
            k.seal(&number(), owner(&ord)),
            "a fresh nonce every time"
        );
        assert_eq!(k.open(&sealed, owner(&ord)).unwrap(), number());
    }

    #[test]
    fn tampering_or_a_wrong_key_is_detected() {
        let k = keys();
        let ord = order("ORD-1");
        let sealed = k.seal(&number(), owner(&ord));
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
            k.open(&SealedNumber::from_stored(tampered), owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
        let other = SealKeys::from_base64(OTHER_ENC_KEY).unwrap();
        assert!(matches!(
            other.open(&sealed, owner(&ord)),
            Err(PrivacyError::UnlistedKey { .. })
        ));
    }

    #[test]
    fn a_sealed_number_opens_only_for_its_order_and_side() {
        let k = keys();
        let ord = order("ORD-1");
        let sealed = k.seal(&number(), owner(&ord));
        let elsewhere = order("ORD-2");
        assert_eq!(
            k.open(&sealed, owner(&elsewhere)),
            Err(PrivacyError::Undecryptable),
            "copied into another order's items"
        );
        let other_side = Owner {
            order: &ord,
            side: Side::Driver,
        };
        assert_eq!(
            k.open(&sealed, other_side),
            Err(PrivacyError::Undecryptable),
            "moved to the other side"
        );
    }

    #[test]
    fn values_sealed_before_owners_were_bound_open_unless_refused() {
        let legacy = seal_v1(&keys(), &number());
        assert_eq!(legacy.format(), SealFormat::V1);
        assert_eq!(
            keys().open(&legacy, owner(&order("ANY"))).unwrap(),
            number()
        );
        let setting = |value: &'static str| {
            move |name: &str| match name {
                NAME => Some(ENC_KEY.to_string()),
                ACCEPT_LEGACY_SEALED => Some(value.to_string()),
                _ => None,
            }
        };
        let on = SealKeys::from_lookup(setting("on")).unwrap();
        assert_eq!(on.open(&legacy, owner(&order("ANY"))).unwrap(), number());
        let off = SealKeys::from_lookup(setting("off")).unwrap();
        assert_eq!(
            off.open(&legacy, owner(&order("ANY"))),
            Err(PrivacyError::LegacyRefused)
        );
        let ord = order("ORD-1");
        let unnamed = seal_v2(&off, &number(), owner(&ord));
        assert_eq!(
            off.open(&unnamed, owner(&ord)).unwrap(),
            number(),
            "v2 is owner-bound: it stays readable"
        );
        assert!(matches!(
            SealKeys::from_lookup(setting("no")),
            Err(PrivacyError::BadLegacySetting(_))
        ));
    }

    #[test]
    fn a_rotated_list_seals_with_its_first_key_and_opens_what_older_keys_sealed() {
        let ord = order("ORD-1");
        let before = keys();
        let sealed_before = before.seal(&number(), owner(&ord));
        assert_eq!(sealed_before.key_id().as_ref(), Some(before.current_id()));
        let unnamed = seal_v2(&before, &number(), owner(&ord));
        assert_eq!(unnamed.key_id(), None);

        let rotating = SealKeys::from_base64(&format!("{OTHER_ENC_KEY},{ENC_KEY}")).unwrap();
        let sealed_now = rotating.seal(&number(), owner(&ord));
        assert_eq!(sealed_now.key_id().as_ref(), Some(rotating.current_id()));
        assert_ne!(rotating.current_id(), before.current_id());
        for sealed in [&sealed_before, &unnamed, &sealed_now] {
            assert_eq!(rotating.open(sealed, owner(&ord)).unwrap(), number());
        }

        let after = SealKeys::from_base64(OTHER_ENC_KEY).unwrap();
        assert_eq!(after.open(&sealed_now, owner(&ord)).unwrap(), number());
        assert_eq!(
            after.open(&sealed_before, owner(&ord)),
            Err(PrivacyError::UnlistedKey {
                key_id: before.current_id().clone()
            }),
            "dropped too early: the error names the key still needed"
        );
        assert_eq!(
            after.open(&unnamed, owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
    }

    #[test]
    fn resealing_gives_a_current_v3_value_of_the_same_number_for_the_same_owner() {
        let ord = order("ORD-1");
        let before = keys();
        let rotating = SealKeys::from_base64(&format!("{OTHER_ENC_KEY},{ENC_KEY}"))
            .unwrap()
            .accepting_v1(false);
        let stored = [
            seal_v1(&before, &number()),
            seal_v2(&before, &number(), owner(&ord)),
            before.seal(&number(), owner(&ord)),
        ];
        for value in &stored {
            let Resealed::New(fresh) = rotating.reseal(value, owner(&ord)).unwrap() else {
                panic!("{:?} needs resealing", value.format());
            };
            assert_eq!(
                fresh.format(),
                SealFormat::V3(rotating.current_id().clone())
            );
            assert_eq!(rotating.open(&fresh, owner(&ord)).unwrap(), number());
            assert_eq!(
                rotating.open(&fresh, owner(&order("ORD-2"))),
                Err(PrivacyError::Undecryptable),
                "bound to the owner it was resealed for"
            );
            assert_eq!(rotating.reseal(&fresh, owner(&ord)), Ok(Resealed::Current));
        }
        assert_eq!(
            rotating.reseal(&SealedNumber::from_stored("v9.x".into()), owner(&ord)),
            Err(PrivacyError::Undecryptable)
        );
    }
}
