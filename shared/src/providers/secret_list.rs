//! A provider secret may be a comma-separated list, current first, so it can be rotated with no
//! refused webhook: list the new one beside the old, switch the provider over, then drop the old.
//! Requests verify against any listed secret; what Maskline signs or sends itself uses the first.
//! (Provider secrets are letters and digits: a comma never belongs to one.)

/// The listed secrets, current first; blanks ignored.
pub fn listed(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The current secret: the first listed (the whole value when it lists one).
pub fn current(raw: &str) -> &str {
    listed(raw).next().unwrap_or("")
}

/// Runs `check` with each listed secret until one passes; the result of the current secret's
/// check when none does (so the reason logged is about the secret in use).
pub fn verify_any<E>(raw: &str, check: impl Fn(&str) -> Result<(), E>) -> Result<(), E> {
    let mut first_failure = None;
    for secret in listed(raw) {
        match check(secret) {
            Ok(()) => return Ok(()),
            Err(e) if first_failure.is_none() => first_failure = Some(e),
            Err(_) => {}
        }
    }
    // An empty list verifies nothing: the check of an empty secret fails closed.
    first_failure.map_or_else(|| check(""), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_listed_secret_verifies_and_the_first_is_current() {
        let accepts =
            |wanted: &'static str| move |s: &str| (s == wanted).then_some(()).ok_or(s.to_string());
        assert_eq!(verify_any("new, old", accepts("old")), Ok(()));
        assert_eq!(verify_any("new,old", accepts("new")), Ok(()));
        assert_eq!(
            verify_any("new,old", accepts("other")),
            Err("new".to_string())
        );
        assert_eq!(verify_any("only", accepts("only")), Ok(()));
        assert_eq!(
            verify_any(" , ", accepts("")),
            Ok(()),
            "an empty list checks the empty secret"
        );
        assert_eq!(current(" new ,old"), "new");
        assert_eq!(current("single"), "single");
    }
}
