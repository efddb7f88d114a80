//! The lookup-key half of privacy: keyed hashes of real numbers under `NUMBER_HASH_KEY`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::key_id::KeyId;
use super::{key_list, required_key, PrivacyError};
use crate::domain::{CallerKey, E164};

const NAME: &str = "NUMBER_HASH_KEY";

#[derive(Clone)]
struct HashKey {
    id: KeyId,
    secret: Vec<u8>,
}

impl HashKey {
    fn caller_key(&self, number: &E164) -> CallerKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC accepts any key length");
        mac.update(number.expose().as_bytes());
        CallerKey::from_stored(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// The listed hash keys, current first: what a function needs that finds callers by number but
/// never reads one (call-events), so it is never given the encryption key.
///
/// New bindings and lookups use the current key. While an older key is listed, a lookup that
/// misses under the current key tries it next (sessions written before the rotation still
/// connect), and allocation keeps a participant's numbers apart under every listed key.
#[derive(Clone)]
pub struct CallerKeys {
    keys: Vec<HashKey>,
}

impl std::fmt::Debug for CallerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerKeys(<keys hidden>)")
    }
}

impl CallerKeys {
    /// From the value of `NUMBER_HASH_KEY`: one base64 key, or a comma-separated list of them,
    /// current first.
    pub fn from_base64(hash_keys: &str) -> Result<Self, PrivacyError> {
        let keys = key_list::decode(
            hash_keys,
            NAME,
            |k| k.len() >= 32,
            PrivacyError::WeakHashKey { name: NAME },
        )?;
        Ok(CallerKeys {
            keys: keys
                .into_iter()
                .map(|secret| HashKey {
                    id: KeyId::of("maskline/hash-key", &secret),
                    secret,
                })
                .collect(),
        })
    }

    /// `NUMBER_HASH_KEY` from the function's settings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, PrivacyError> {
        Self::from_base64(&required_key(&lookup, NAME)?)
    }

    /// The number's key under the current hash key: what new bindings are written with.
    pub fn caller_key(&self, number: &E164) -> CallerKey {
        self.keys[0].caller_key(number)
    }

    /// The name of the current hash key, recorded beside what it keys.
    pub fn current_id(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// The names of every listed key, current first.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    /// The number's key under each listed hash key, current first, computed only as far as the
    /// caller reads (a lookup stops at its first hit).
    pub fn every_caller_key<'a>(
        &'a self,
        number: &'a E164,
    ) -> impl Iterator<Item = CallerKey> + 'a {
        self.keys.iter().map(move |k| k.caller_key(number))
    }

    /// The number's keys under the older listed keys (none unless a rotation is under way).
    pub fn older_caller_keys(&self, number: &E164) -> Vec<CallerKey> {
        // Skips the current key itself, so its HMAC is not computed again.
        self.keys[1..]
            .iter()
            .map(|k| k.caller_key(number))
            .collect()
    }

    pub(super) fn secrets(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|k| k.secret.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=";
    const KEY_B: &str = "b3RoZXItaGFzaC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcw==";

    fn number() -> E164 {
        E164::parse("+919876500001", None).unwrap()
    }

    #[test]
    fn keys_are_deterministic_keyed_and_opaque() {
        let a = CallerKeys::from_base64(KEY_A).unwrap();
        assert_eq!(a.caller_key(&number()), a.caller_key(&number()));
        assert!(!a.caller_key(&number()).as_str().contains("9876500001"));
        let b = CallerKeys::from_base64(KEY_B).unwrap();
        assert_ne!(a.caller_key(&number()), b.caller_key(&number()));
    }

    #[test]
    fn a_list_keys_new_values_with_its_first_and_knows_the_rest() {
        let a = CallerKeys::from_base64(KEY_A).unwrap();
        let b = CallerKeys::from_base64(KEY_B).unwrap();
        let rotating = CallerKeys::from_base64(&format!("{KEY_B}, {KEY_A}")).unwrap();
        assert_eq!(rotating.caller_key(&number()), b.caller_key(&number()));
        assert_eq!(rotating.current_id(), b.current_id());
        assert_eq!(
            rotating.every_caller_key(&number()).collect::<Vec<_>>(),
            vec![b.caller_key(&number()), a.caller_key(&number())]
        );
        assert_eq!(
            rotating.older_caller_keys(&number()),
            vec![a.caller_key(&number())]
        );
        assert!(a.older_caller_keys(&number()).is_empty());
        assert_eq!(
            rotating.ids().collect::<Vec<_>>(),
            vec![b.current_id(), a.current_id()]
        );
    }

    #[test]
    fn weak_repeated_or_empty_lists_are_refused() {
        assert!(matches!(
            CallerKeys::from_base64("c2hvcnQ="),
            Err(PrivacyError::WeakHashKey { .. })
        ));
        assert!(matches!(
            CallerKeys::from_base64(&format!("{KEY_A},c2hvcnQ=")),
            Err(PrivacyError::WeakHashKey { .. })
        ));
        assert_eq!(
            CallerKeys::from_base64(&format!("{KEY_A},{KEY_A}")).unwrap_err(),
            PrivacyError::RepeatedKey { name: NAME }
        );
        assert_eq!(
            CallerKeys::from_base64(" , ").unwrap_err(),
            PrivacyError::MissingKey { name: NAME }
        );
    }
}
