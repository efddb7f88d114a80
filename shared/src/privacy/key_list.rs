//! A key setting as a list: comma-separated base64 keys, current first (base64 never contains a
//! comma). One key is a list of one.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::PrivacyError;

/// The decoded keys, current first. Each must pass `valid` (else `invalid` is the error); an
/// empty list or a key listed twice is refused.
pub(super) fn decode(
    raw: &str,
    name: &'static str,
    valid: impl Fn(&[u8]) -> bool,
    invalid: PrivacyError,
) -> Result<Vec<Vec<u8>>, PrivacyError> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for listed in raw.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let key = STANDARD
            .decode(listed)
            .ok()
            .filter(|k| valid(k))
            .ok_or_else(|| invalid.clone())?;
        if keys.contains(&key) {
            return Err(PrivacyError::RepeatedKey { name });
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(PrivacyError::MissingKey { name });
    }
    Ok(keys)
}
