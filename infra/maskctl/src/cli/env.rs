//! Settings maskctl shares with the functions, parsed as the functions parse them
//! (`maskline::config`): a blank variable counts as unset, so a template's `REFILL_HEADROOM: ""`
//! means the same default to the CLI as to the deployment, instead of a usage error.

use maskline::config::DEFAULT_COOL_OFF_SECONDS;
use maskline::domain::AllocationPolicy;

pub const DEFAULT_HEADROOM: u32 = 2;
/// How far back idleness can be seen: expired bindings are kept a day.
const MAX_COOL_OFF_SECONDS: u32 = 24 * 3600;

pub fn policy(raw: &str) -> Result<AllocationPolicy, String> {
    if raw.trim().is_empty() {
        return Ok(AllocationPolicy::default());
    }
    raw.parse()
}

/// `on`/`off` as `BACKUP_NUMBERS` takes it; clap itself passes `true` when the flag is given.
pub fn on_off(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "off" | "false" | "0" | "no" => Ok(false),
        "on" | "true" | "1" | "yes" => Ok(true),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

pub fn headroom(raw: &str) -> Result<u32, String> {
    whole_number(raw, DEFAULT_HEADROOM)
}

pub fn cool_off_seconds(raw: &str) -> Result<u32, String> {
    let seconds = whole_number(raw, DEFAULT_COOL_OFF_SECONDS as u32)?;
    if seconds > MAX_COOL_OFF_SECONDS {
        return Err(format!(
            "at most {MAX_COOL_OFF_SECONDS}: expired bindings, which show how long a number was \
             idle, are kept a day"
        ));
    }
    Ok(seconds)
}

pub fn event_bus(raw: &str) -> Result<String, String> {
    let bus = raw.trim();
    Ok(if bus.is_empty() { "default" } else { bus }.to_string())
}

fn whole_number(raw: &str, default: u32) -> Result<u32, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default);
    }
    raw.parse()
        .map_err(|_| format!("expected a whole number, got {raw:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_the_functions_default() {
        assert_eq!(policy(" "), Ok(AllocationPolicy::Shared));
        assert_eq!(on_off(""), Ok(false));
        assert_eq!(headroom(""), Ok(2));
        assert_eq!(cool_off_seconds(""), Ok(21600));
        assert_eq!(event_bus("").as_deref(), Ok("default"));
    }

    #[test]
    fn values_are_checked_like_the_functions_check_them() {
        assert_eq!(policy("Exclusive"), Ok(AllocationPolicy::Exclusive));
        assert!(policy("greedy").is_err());
        assert_eq!(
            (on_off("ON"), on_off("true"), on_off("no")),
            (Ok(true), Ok(true), Ok(false))
        );
        assert!(on_off("maybe").unwrap_err().contains("on or off"));
        assert!(headroom("-1").is_err());
        assert_eq!(cool_off_seconds("86400"), Ok(86400));
        assert!(cool_off_seconds("86401").is_err());
    }
}
