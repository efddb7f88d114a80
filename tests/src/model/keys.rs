//! Number keys rotated inside a schedule, as an operator rotates them in production: the next
//! key listed second for a while (sometimes), then first, then, once every session written under
//! the old one has ended (a session lifetime plus grace), alone.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use maskline::privacy::NumberVault;

use crate::fixtures::{ENCRYPTION_KEY, HASH_KEY};

/// The key generations every function is deployed with from a step on, current first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyList(pub Vec<u32>);

impl KeyList {
    /// What a world starts with: the test keys (generation 0) alone.
    pub fn initial() -> KeyList {
        KeyList(vec![0])
    }

    /// Both keys (hash and encryption) of every listed generation, in order.
    pub fn vault(&self) -> NumberVault {
        let list =
            |key: fn(u32) -> String| self.0.iter().map(|&g| key(g)).collect::<Vec<_>>().join(",");
        NumberVault::from_base64(&list(hash_key), &list(encryption_key))
            .expect("generated keys are valid")
    }
}

/// Generation 0 is the world's own test key; the others are made up from the generation.
fn hash_key(generation: u32) -> String {
    match generation {
        0 => HASH_KEY.to_string(),
        g => STANDARD.encode(format!("model-hash-key-generation-{g:06}!")),
    }
}

fn encryption_key(generation: u32) -> String {
    match generation {
        0 => ENCRYPTION_KEY.to_string(),
        g => STANDARD.encode(format!("model-seal-key-generation-{g:05}!")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generation_makes_valid_distinct_keys() {
        for g in 0..4 {
            KeyList(vec![g + 1, g]).vault();
            assert_ne!(hash_key(g), hash_key(g + 1));
            assert_ne!(encryption_key(g), encryption_key(g + 1));
        }
    }
}
