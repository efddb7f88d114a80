//! A provider secret may be a comma-separated list, current first, so it can be rotated with no
//! refused webhook: list the new one beside the old, switch the provider over, then drop the old.
//! Requests verify against any listed secret; what Maskline signs or sends itself uses the first.
//! (Provider secrets are letters and digits: a comma never belongs to one.)

/// The listed secrets, current first. Blanks and the placeholders deployments use for "unused"
/// (`-`, `none`) are no secret: `","`, `" , "` or `"-,"` (what `"$NEW,$OLD"` gives with both
/// empty) list nothing.
pub fn listed(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-" && !s.eq_ignore_ascii_case("none"))
}

/// The current secret: the first listed (the whole value when it lists one).
pub fn current(raw: &str) -> &str {
    listed(raw).next().unwrap_or("")
}

/// Runs `check` with each listed secret until one passes; the result of the current secret's
/// check when none does (so the reason logged is about the secret in use). A list with no secret
/// in it is `unconfigured`: nothing is checked, since a signature made with an empty (or `-`) key
/// is one anybody can make.
pub fn verify_any<E>(
    raw: &str,
    unconfigured: E,
    check: impl Fn(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut first_failure = None;
    for secret in listed(raw) {
        match check(secret) {
            Ok(()) => return Ok(()),
            Err(e) if first_failure.is_none() => first_failure = Some(e),
            Err(_) => {}
        }
    }
    Err(first_failure.unwrap_or(unconfigured))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_listed_secret_verifies_and_the_first_is_current() {
        let accepts =
            |wanted: &'static str| move |s: &str| (s == wanted).then_some(()).ok_or(s.to_string());
        let none = || "unconfigured".to_string();
        assert_eq!(verify_any("new, old", none(), accepts("old")), Ok(()));
        assert_eq!(verify_any("new,old", none(), accepts("new")), Ok(()));
        assert_eq!(
            verify_any("new,old", none(), accepts("other")),
            Err("new".to_string())
        );
        assert_eq!(verify_any("only", none(), accepts("only")), Ok(()));
        for nothing in [",", " , ", "-,", "-, none", ""] {
            // A check that accepts anything: only an empty list can get past it, and must not.
            let anything = |_: &str| Ok::<(), String>(());
            assert_eq!(
                verify_any(nothing, none(), anything),
                Err(none()),
                "{nothing:?} lists no secret"
            );
        }
        assert_eq!(current(" new ,old"), "new");
        assert_eq!(current("single"), "single");
    }
}
