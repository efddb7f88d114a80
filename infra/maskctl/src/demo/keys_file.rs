//! The checkout's LOCAL ONLY number keys for `make dev`: random, generated on first use into a
//! file only the owner can read, and reused afterwards so that a restarted `make dev` can still
//! read what an earlier one encrypted (DynamoDB Local keeps nothing, but a user's own table might).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

const HASH: &str = "NUMBER_HASH_KEY";
const ENCRYPTION: &str = "NUMBER_ENCRYPTION_KEY";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalKeys {
    pub hash: String,
    pub encryption: String,
}

pub fn load_or_create(path: &Path) -> anyhow::Result<LocalKeys> {
    let exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    if !exists {
        eprintln!(
            "[dev] generating local-only number keys into {} (kept for later runs)",
            path.display()
        );
        write_new(path)?;
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    match parse(&text) {
        Some(keys) => Ok(keys),
        None => bail!(
            "{} lacks {HASH} / {ENCRYPTION}: delete it and run make dev again",
            path.display()
        ),
    }
}

fn parse(text: &str) -> Option<LocalKeys> {
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some(LocalKeys {
        hash: value(HASH)?,
        encryption: value(ENCRYPTION)?,
    })
}

fn random_key() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    STANDARD.encode(key)
}

/// Written beside the final name and renamed, so an interrupted run never leaves half a file.
fn write_new(path: &Path) -> anyhow::Result<()> {
    let text = format!(
        "# LOCAL ONLY: random keys for `make dev` in this checkout. Never use them anywhere else.\n\
         {HASH}={}\n{ENCRYPTION}={}\n",
        random_key(),
        random_key()
    );
    let partial = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(text.as_bytes())?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_and_read_back_the_same() {
        let dir = std::env::temp_dir().join(format!("maskctl-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dev-keys.env");
        let _ = std::fs::remove_file(&path);
        let first = load_or_create(&path).unwrap();
        assert_eq!(STANDARD.decode(&first.hash).unwrap().len(), 32);
        assert_ne!(first.hash, first.encryption);
        assert_eq!(load_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        std::fs::write(&path, "# nothing\n").unwrap();
        let err = load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("lacks NUMBER_HASH_KEY"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
