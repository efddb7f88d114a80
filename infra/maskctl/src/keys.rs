//! `maskctl keys status`: how many live sessions and bindings still depend on each listed
//! `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY`, so an operator rotating one knows when the old
//! key can be dropped (when nothing live names it any more).

use anyhow::Context;
use chrono::Utc;
use maskline::ports::KeyAudit;
use maskline::privacy::{seal_key_ids, CallerKeys, CountByKey, KeyId, KeyUsage};
use serde::Serialize;

/// One key's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRow {
    /// The key's public name (see `KeyId`); `None` for items written before keys were named.
    pub key_id: Option<String>,
    pub role: Role,
    pub live_sessions: u64,
    pub live_bindings: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// First listed: what new values use.
    Current,
    /// Listed after the first: still read, no longer written.
    Older,
    /// Named by live items but not in the setting given (or no setting given).
    NotListed,
    /// Written before keys were named, under whichever single key was current then.
    Unnamed,
}

/// The rows of one setting and whether anything live still needs a key other than the current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingReport {
    pub setting: &'static str,
    pub rows: Vec<KeyRow>,
    /// Nothing live depends on any key but the current one: the others can be dropped.
    pub only_current_in_use: bool,
}

/// The report for one setting: every listed key (in order, even if unused), then every other
/// key live items name.
pub fn setting_report(
    setting: &'static str,
    listed: Option<&[KeyId]>,
    sessions: &CountByKey,
    bindings: &CountByKey,
) -> SettingReport {
    let listed = listed.unwrap_or_default();
    let count = |counts: &CountByKey, key: &Option<KeyId>| counts.get(key).copied().unwrap_or(0);
    let row = |key: Option<KeyId>, role| KeyRow {
        live_sessions: count(sessions, &key),
        live_bindings: count(bindings, &key),
        key_id: key.map(|k| k.to_string()),
        role,
    };
    let mut rows: Vec<KeyRow> = listed
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let role = if i == 0 { Role::Current } else { Role::Older };
            row(Some(key.clone()), role)
        })
        .collect();
    let seen = sessions.keys().chain(bindings.keys());
    let mut others: Vec<&Option<KeyId>> = seen
        .filter(|key| key.as_ref().is_none_or(|k| !listed.contains(k)))
        .collect();
    others.sort();
    others.dedup();
    rows.extend(others.into_iter().map(|key| {
        let role = if key.is_some() {
            Role::NotListed
        } else {
            Role::Unnamed
        };
        row(key.clone(), role)
    }));
    let only_current_in_use = !listed.is_empty()
        && rows
            .iter()
            .filter(|r| r.role != Role::Current)
            .all(|r| r.live_sessions == 0 && r.live_bindings == 0);
    SettingReport {
        setting,
        rows,
        only_current_in_use,
    }
}

/// Both settings' reports from a scan's counts.
pub fn report(
    usage: &KeyUsage,
    hash_keys: Option<&[KeyId]>,
    seal_keys: Option<&[KeyId]>,
) -> [SettingReport; 2] {
    [
        setting_report(
            "NUMBER_HASH_KEY",
            hash_keys,
            &usage.sessions_by_hash_key,
            &usage.bindings_by_hash_key,
        ),
        setting_report(
            "NUMBER_ENCRYPTION_KEY",
            seal_keys,
            &usage.sessions_by_seal_key,
            &usage.bindings_by_seal_key,
        ),
    ]
}

pub fn render(reports: &[SettingReport]) -> String {
    let mut out = String::new();
    for report in reports {
        out.push_str(&format!("{}\n", report.setting));
        out.push_str(&format!(
            "  {:<14} {:<11} {:>13} {:>13}\n",
            "key id", "role", "live sessions", "live bindings"
        ));
        for row in &report.rows {
            out.push_str(&format!(
                "  {:<14} {:<11} {:>13} {:>13}\n",
                row.key_id.as_deref().unwrap_or("(unnamed)"),
                role_name(row.role),
                row.live_sessions,
                row.live_bindings
            ));
        }
        out.push_str(&format!("  {}\n", verdict(report)));
    }
    out
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Current => "current",
        Role::Older => "older",
        Role::NotListed => "not listed",
        Role::Unnamed => "before ids",
    }
}

fn verdict(report: &SettingReport) -> String {
    if report.rows.iter().all(|r| r.role != Role::Current) {
        return format!("(set {} to see which key is current)", report.setting);
    }
    if report.only_current_in_use {
        return "nothing live needs an older key: the others can be dropped from the setting"
            .into();
    }
    "live items still need a key other than the current one: keep it listed until they end".into()
}

pub async fn status(
    store: &dyn KeyAudit,
    hash_keys: Option<&str>,
    encryption_keys: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let hash_ids = hash_keys
        .map(|raw| CallerKeys::from_base64(raw).map(|k| k.ids().cloned().collect::<Vec<_>>()))
        .transpose()
        .context("NUMBER_HASH_KEY")?;
    let seal_ids = encryption_keys
        .map(seal_key_ids)
        .transpose()
        .context("NUMBER_ENCRYPTION_KEY")?;
    let usage = store.key_usage(Utc::now()).await?;
    let reports = report(&usage, hash_ids.as_deref(), seal_ids.as_deref());
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print!("{}", render(&reports));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> KeyId {
        KeyId::from_stored(name.into())
    }

    fn counts(entries: &[(Option<&str>, u64)]) -> CountByKey {
        entries.iter().map(|(k, n)| (k.map(id), *n)).collect()
    }

    #[test]
    fn an_older_key_still_named_by_live_items_must_stay() {
        let listed = [id("new"), id("old")];
        let report = setting_report(
            "NUMBER_HASH_KEY",
            Some(&listed),
            &counts(&[(Some("new"), 4), (Some("old"), 1)]),
            &counts(&[(Some("new"), 8), (Some("old"), 2)]),
        );
        assert_eq!(
            report.rows,
            vec![
                KeyRow {
                    key_id: Some("new".into()),
                    role: Role::Current,
                    live_sessions: 4,
                    live_bindings: 8
                },
                KeyRow {
                    key_id: Some("old".into()),
                    role: Role::Older,
                    live_sessions: 1,
                    live_bindings: 2
                },
            ]
        );
        assert!(!report.only_current_in_use);
        assert!(render(&[report]).contains("keep it listed"));
    }

    #[test]
    fn once_only_the_current_key_is_named_the_rest_can_go() {
        let listed = [id("new"), id("old")];
        let report = setting_report(
            "NUMBER_HASH_KEY",
            Some(&listed),
            &counts(&[(Some("new"), 4)]),
            &counts(&[(Some("new"), 8)]),
        );
        assert_eq!(
            report.rows[1].live_sessions + report.rows[1].live_bindings,
            0
        );
        assert!(report.only_current_in_use);
        assert!(render(&[report]).contains("can be dropped"));
    }

    #[test]
    fn unnamed_and_unlisted_keys_are_shown_and_keep_the_verdict_open() {
        let listed = [id("new")];
        let report = setting_report(
            "NUMBER_ENCRYPTION_KEY",
            Some(&listed),
            &counts(&[(None, 2), (Some("gone"), 1)]),
            &counts(&[]),
        );
        let roles: Vec<_> = report.rows.iter().map(|r| r.role).collect();
        assert_eq!(roles, vec![Role::Current, Role::Unnamed, Role::NotListed]);
        assert!(!report.only_current_in_use);
    }

    #[test]
    fn without_the_setting_no_key_is_called_current() {
        let report = setting_report(
            "NUMBER_HASH_KEY",
            None,
            &counts(&[(Some("a"), 1)]),
            &counts(&[]),
        );
        assert_eq!(report.rows[0].role, Role::NotListed);
        assert!(!report.only_current_in_use);
        assert!(render(&[report]).contains("set NUMBER_HASH_KEY"));
    }
}
