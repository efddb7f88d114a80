//! Both halves together, for the functions that take real numbers in and so must both key and
//! seal them (allocate-numbers, sessions) or find a caller by number and open whom they called
//! (resolve-call). A function that needs one half is given only that half: call-events
//! [`CallerKeys`], click-to-call [`SealKeys`].

use super::caller_keys::CallerKeys;
use super::key_id::KeyId;
use super::seal_keys::SealKeys;
use super::{Owner, PrivacyError, SealedNumber};
use crate::domain::CallerKey;
use crate::domain::E164;

/// Hashing and sealing keys, loaded once at start-up. New seals use the first listed encryption
/// key; a value opens under the key it names, so an old key serves until nothing names it.
#[derive(Clone)]
pub struct NumberVault {
    keys: CallerKeys,
    seals: SealKeys,
}

impl std::fmt::Debug for NumberVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NumberVault(<keys hidden>)")
    }
}

impl NumberVault {
    /// `NUMBER_HASH_KEY`, `NUMBER_ENCRYPTION_KEY` and `ACCEPT_LEGACY_SEALED` from the function's
    /// settings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, PrivacyError> {
        Self::together(
            CallerKeys::from_lookup(&lookup)?,
            SealKeys::from_lookup(&lookup)?,
        )
    }

    /// Builds the vault from the values of `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY` (each
    /// one base64 key or a comma-separated list, current first).
    pub fn from_base64(hash_keys: &str, encryption_keys: &str) -> Result<Self, PrivacyError> {
        Self::together(
            CallerKeys::from_base64(hash_keys)?,
            SealKeys::from_base64(encryption_keys)?,
        )
    }

    fn together(keys: CallerKeys, seals: SealKeys) -> Result<Self, PrivacyError> {
        // One secret in two places is one secret: whoever has the lookup key could open numbers.
        if keys.secrets().any(|hash| seals.lists(hash)) {
            return Err(PrivacyError::SameKeys);
        }
        Ok(NumberVault { keys, seals })
    }

    /// The number's key under the current hash key.
    pub fn caller_key(&self, number: &E164) -> CallerKey {
        self.keys.caller_key(number)
    }

    /// The lookup half alone.
    pub fn caller_keys(&self) -> &CallerKeys {
        &self.keys
    }

    /// The sealing half alone.
    pub fn seal_keys(&self) -> &SealKeys {
        &self.seals
    }

    /// The name of the encryption key new seals use.
    pub fn current_seal_id(&self) -> &KeyId {
        self.seals.current_id()
    }

    /// The names of every listed encryption key, current first.
    pub fn seal_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.seals.ids()
    }

    pub fn seal(&self, number: &E164, owner: Owner) -> SealedNumber {
        self.seals.seal(number, owner)
    }

    pub fn open(&self, sealed: &SealedNumber, owner: Owner) -> Result<E164, PrivacyError> {
        self.seals.open(sealed, owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderId, Side};

    const HASH_KEY: &str = "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=";
    const ENC_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn the_vault_seals_with_its_encryption_half_and_keys_with_its_hash_half() {
        let vault = NumberVault::from_base64(HASH_KEY, ENC_KEY).unwrap();
        let number = E164::parse("+919876500001", None).unwrap();
        let order = OrderId::parse("ORD-1").unwrap();
        let owner = Owner {
            order: &order,
            side: Side::Driver,
        };
        let sealed = vault.seal(&number, owner);
        let half = SealKeys::from_base64(ENC_KEY).unwrap();
        assert_eq!(half.open(&sealed, owner).unwrap(), number);
        assert_eq!(vault.current_seal_id(), half.current_id());
        assert_eq!(
            vault.caller_key(&number),
            CallerKeys::from_base64(HASH_KEY)
                .unwrap()
                .caller_key(&number)
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
        let only_encryption =
            |name: &str| (name == "NUMBER_ENCRYPTION_KEY").then(|| ENC_KEY.to_string());
        assert!(SealKeys::from_lookup(only_encryption).is_ok());
        assert_eq!(
            NumberVault::from_lookup(only_encryption).unwrap_err(),
            PrivacyError::MissingKey {
                name: "NUMBER_HASH_KEY"
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
