//! What each hash and encryption key still serves: how an operator knows an old key can go.

use std::collections::BTreeMap;

use super::key_id::KeyId;

/// Live items counted by the key that wrote them; `None` counts items written before keys were
/// named (under whichever single key was current then).
pub type CountByKey = BTreeMap<Option<KeyId>, u64>;

/// Live sessions and bindings by the keys they depend on. A session counts once under each
/// distinct key its participants use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// Participants' lookup keys, by hash key.
    pub sessions_by_hash_key: CountByKey,
    /// Bindings' caller keys (the table keys calls are found by), by hash key.
    pub bindings_by_hash_key: CountByKey,
    /// Participants' sealed numbers, by encryption key.
    pub sessions_by_seal_key: CountByKey,
    /// Bindings' sealed callees (what a call opens), by encryption key.
    pub bindings_by_seal_key: CountByKey,
}

impl KeyUsage {
    /// Counts one live session by the keys its participants' values name.
    pub fn count_session(&mut self, hash_keys: &[Option<KeyId>], seal_keys: &[Option<KeyId>]) {
        count_distinct(&mut self.sessions_by_hash_key, hash_keys);
        count_distinct(&mut self.sessions_by_seal_key, seal_keys);
    }

    /// Counts one live binding by its caller key's hash key and its callee's encryption key.
    pub fn count_binding(&mut self, hash_key: Option<KeyId>, seal_key: Option<KeyId>) {
        *self.bindings_by_hash_key.entry(hash_key).or_default() += 1;
        *self.bindings_by_seal_key.entry(seal_key).or_default() += 1;
    }
}

fn count_distinct(counts: &mut CountByKey, keys: &[Option<KeyId>]) {
    let mut seen = Vec::new();
    for key in keys {
        if !seen.contains(&key) {
            seen.push(key);
            *counts.entry(key.clone()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> Option<KeyId> {
        Some(KeyId::from_stored(name.into()))
    }

    #[test]
    fn a_session_counts_once_per_distinct_key_and_bindings_each() {
        let mut usage = KeyUsage::default();
        usage.count_session(&[id("new"), id("new")], &[id("seal"), None]);
        usage.count_session(&[id("new"), id("old")], &[id("seal"), id("seal")]);
        usage.count_binding(id("old"), None);
        usage.count_binding(id("old"), id("seal"));
        assert_eq!(usage.sessions_by_hash_key[&id("new")], 2);
        assert_eq!(usage.sessions_by_hash_key[&id("old")], 1);
        assert_eq!(usage.sessions_by_seal_key[&id("seal")], 2);
        assert_eq!(usage.sessions_by_seal_key[&None], 1);
        assert_eq!(usage.bindings_by_hash_key[&id("old")], 2);
        assert_eq!(usage.bindings_by_seal_key[&None], 1);
    }
}
