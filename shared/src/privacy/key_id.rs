//! A key's public name: which listed key wrote a stored value, without revealing the key.

use sha2::{Digest, Sha256};

/// The first 6 bytes of SHA-256 over a purpose label and the key, in hex. The key is 32 random
/// bytes, so its digest reveals nothing of it; the label keeps a hash key and an encryption key
/// from ever sharing a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    pub(super) fn of(purpose: &str, key: &[u8]) -> Self {
        let digest = Sha256::new()
            .chain_update(purpose.as_bytes())
            .chain_update(b"|")
            .chain_update(key)
            .finalize();
        KeyId(hex::encode(&digest[..6]))
    }

    /// Rebuilds an id read back from the store (or from a sealed value).
    pub fn from_stored(value: String) -> Self {
        KeyId(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_key_and_purpose_and_are_short_hex() {
        let id = KeyId::of("hash", &[7; 32]);
        assert_eq!(id, KeyId::of("hash", &[7; 32]));
        assert_ne!(id, KeyId::of("hash", &[8; 32]));
        assert_ne!(id, KeyId::of("seal", &[7; 32]));
        assert_eq!(id.as_str().len(), 12);
        assert!(id.as_str().chars().all(|c| c.is_ascii_hexdigit()));
    }
}
