//! Reading back what Maskline published: one summary line per event (one delivered twice, as an
//! at-least-once stream may, is marked), which of the expected kinds are missing, and any real phone number in
//! the text. Pure, so the leak check itself is tested.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::people::Person;

/// What the walkthrough must see published: an assignment, a release and a failover move.
pub const EXPECTED: [&str; 3] = [
    "MaskedNumbersAssigned",
    "MaskedNumbersReleased",
    "MaskedNumbersChanged",
];

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: Vec<String>,
    pub missing: Vec<&'static str>,
    /// The people whose phone appears, by phone.
    pub leaks: BTreeSet<&'static str>,
}

/// `events`: the raw bodies as read from the queue, one EventBridge event each.
pub fn summarise(events: &[String], people: &[Person]) -> Summary {
    let mut summary = Summary::default();
    let mut kinds = HashSet::new();
    let mut seen = HashSet::new();
    for raw in events {
        let event: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
        let kind = event["detail-type"].as_str().unwrap_or("?").to_string();
        let detail = &event["detail"];
        let rest: Vec<String> = detail
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "order_id")
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect();
        let again = if seen.insert((kind.clone(), detail.to_string())) {
            ""
        } else {
            "  (again: delivered twice; the version tells)"
        };
        let order = detail["order_id"].as_str().unwrap_or("-");
        summary
            .lines
            .push(format!("{kind:<22} {order:<6} {}{again}", rest.join(" ")));
        kinds.insert(kind);
        summary.leaks.extend(leaks_in(raw, people));
    }
    summary.missing = EXPECTED
        .into_iter()
        .filter(|k| !kinds.contains(*k))
        .collect();
    summary
}

/// The phones of `people` that appear in `text`, in any of their forms.
pub fn leaks_in(text: &str, people: &[Person]) -> BTreeSet<&'static str> {
    people
        .iter()
        .filter(|p| p.phone_forms().iter().any(|form| text.contains(form)))
        .map(|p| p.phone)
        .collect()
}

/// Strings as they are, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::people::{AGENT_D7, CUSTOMER_1, EVERYONE};

    fn event(kind: &str, detail: &str) -> String {
        format!(r#"{{"detail-type":"{kind}","source":"maskline","detail":{detail}}}"#)
    }

    #[test]
    fn each_event_is_a_line_and_a_repeat_says_so() {
        let assigned = event(
            "MaskedNumbersAssigned",
            r#"{"order_id":"ORD-1","customer_dials":"+918041000001","version":1}"#,
        );
        let summary = summarise(&[assigned.clone(), assigned], &EVERYONE);
        assert_eq!(
            summary.lines[0],
            "MaskedNumbersAssigned  ORD-1  customer_dials=+918041000001 version=1"
        );
        assert!(summary.lines[1].ends_with("(again: delivered twice; the version tells)"));
        assert_eq!(
            summary.missing,
            ["MaskedNumbersReleased", "MaskedNumbersChanged"]
        );
        assert!(summary.leaks.is_empty());
    }

    #[test]
    fn a_real_number_is_found_with_or_without_its_country_code() {
        let national = event(
            "MaskedNumbersChanged",
            r#"{"order_id":"ORD-1","to":"9876500002"}"#,
        );
        let summary = summarise(&[national], &EVERYONE);
        assert_eq!(summary.leaks, BTreeSet::from([AGENT_D7.phone]));
        let log = "INFO resolve-call: from=+919876500001 to=+918041000001";
        assert_eq!(leaks_in(log, &EVERYONE), BTreeSet::from([CUSTOMER_1.phone]));
        assert!(leaks_in("caller ending 0001", &EVERYONE).is_empty());
    }
}
