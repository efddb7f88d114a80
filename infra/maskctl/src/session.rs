//! `maskctl session show`: what an order's session looks like to support staff. The view is built
//! from the session's ids and virtual numbers only; the stored participants (caller keys, sealed
//! numbers) are never read, so no real number can be shown by mistake.

use anyhow::{bail, Context};
use chrono::{DateTime, SecondsFormat, Utc};
use maskline::domain::session::SessionStatus;
use maskline::domain::OrderId;
use maskline::ports::{SessionRecord, SessionStore};
use serde::Serialize;

/// A session as shown to operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub order_id: String,
    pub state: &'static str,
    pub region: Option<String>,
    pub customer_id: Option<String>,
    pub driver_id: Option<String>,
    pub customer_dials: Option<String>,
    pub driver_dials: Option<String>,
    /// Set with `BACKUP_NUMBERS=on`: the side's second number, on another operator.
    pub customer_backup: Option<String>,
    pub driver_backup: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// The order platform's `sequence` of the assignment in force, when it sends one.
    pub assignment_sequence: Option<u64>,
    pub live_until: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub version: u64,
}

impl SessionView {
    /// The state as a caller would experience it at `now`: expiry is judged from `live_until`,
    /// never from whether TTL has removed the item yet.
    pub fn of(record: &SessionRecord, now: DateTime<Utc>) -> Self {
        let session = &record.session;
        let state = if session.is_tombstone() {
            "released (before assignment)"
        } else {
            match session.status_at(now) {
                SessionStatus::Active => "active",
                SessionStatus::Released => "released",
                SessionStatus::Expired => "expired",
            }
        };
        SessionView {
            order_id: session.order_id.to_string(),
            state,
            region: session.region.as_ref().map(ToString::to_string),
            customer_id: session.customer_id.as_ref().map(ToString::to_string),
            driver_id: session.driver_id.as_ref().map(ToString::to_string),
            customer_dials: session
                .numbers
                .as_ref()
                .map(|n| n.customer_dials.to_string()),
            driver_dials: session.numbers.as_ref().map(|n| n.driver_dials.to_string()),
            customer_backup: session
                .numbers
                .as_ref()
                .and_then(|n| n.customer_backup.as_ref().map(ToString::to_string)),
            driver_backup: session
                .numbers
                .as_ref()
                .and_then(|n| n.driver_backup.as_ref().map(ToString::to_string)),
            // The platform's own (sub-second) time when it sent one, else the event's.
            assigned_at: session
                .assignment
                .map(|a| a.assigned_at.unwrap_or(a.event_time)),
            assignment_sequence: session.assignment.and_then(|a| a.sequence),
            live_until: session.live_until,
            released_at: session.released_at,
            version: record.version,
        }
    }

    pub fn render(&self) -> String {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let mut fields = vec![
            ("order", self.order_id.clone()),
            ("state", self.state.to_string()),
            ("region", or_dash(self.region.clone())),
            ("customer id", or_dash(self.customer_id.clone())),
            ("driver id", or_dash(self.driver_id.clone())),
            ("customer dials", or_dash(self.customer_dials.clone())),
            ("driver dials", or_dash(self.driver_dials.clone())),
        ];
        // Backups only when the session has them: most deployments run without.
        if let Some(backup) = &self.customer_backup {
            fields.push(("customer backup", backup.clone()));
        }
        if let Some(backup) = &self.driver_backup {
            fields.push(("driver backup", backup.clone()));
        }
        fields.extend([
            ("assigned at", or_dash(self.assigned_at.map(time))),
            (
                "assignment seq",
                or_dash(self.assignment_sequence.map(|s| s.to_string())),
            ),
            ("live until", time(self.live_until)),
            ("released at", or_dash(self.released_at.map(time))),
            ("version", self.version.to_string()),
        ]);
        fields
            .iter()
            .map(|(name, value)| format!("{:<16} {value}\n", format!("{name}:")))
            .collect()
    }
}

pub async fn show(store: &dyn SessionStore, order: &OrderId, json: bool) -> anyhow::Result<()> {
    let Some(record) = store
        .load_session(order)
        .await
        .with_context(|| format!("loading the session of order {order}"))?
    else {
        bail!("no session for order {order}");
    };
    let view = SessionView::of(&record, Utc::now());
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print!("{}", view.render());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use maskline::domain::session::AssignedNumbers;
    use maskline::domain::{
        AllocationPolicy, ParticipantId, Region, Session, SessionState, VirtualNumber,
    };
    use maskline::ports::StoredParticipant;
    use maskline::privacy::{CallerKey, SealedNumber};

    use super::*;

    const SECRETS: [&str; 4] = [
        "KEY-CUSTOMER",
        "SEALED-CUSTOMER",
        "KEY-DRIVER",
        "SEALED-DRIVER",
    ];

    fn record(now: DateTime<Utc>) -> SessionRecord {
        let participant = |id: &str, key: &str, sealed: &str| StoredParticipant {
            id: ParticipantId::parse(id).unwrap(),
            key: CallerKey::from_stored(key.into()),
            key_id: None,
            older_keys: Vec::new(),
            sealed: SealedNumber::from_stored(sealed.into()),
        };
        SessionRecord {
            session: Session {
                order_id: OrderId::parse("ORD-1").unwrap(),
                region: Some(Region::parse("blr").unwrap()),
                state: SessionState::Active,
                customer_id: Some(ParticipantId::parse("C-1").unwrap()),
                driver_id: Some(ParticipantId::parse("D-7").unwrap()),
                numbers: Some(AssignedNumbers::new(
                    VirtualNumber::parse("+918041000001", None).unwrap(),
                    VirtualNumber::parse("+918041000002", None).unwrap(),
                )),
                assignment: Some(maskline::domain::ordering::AssignmentStamp::at(now)),
                live_until: now + Duration::hours(1),
                released_at: None,
            },
            policy: AllocationPolicy::default(),
            customer: Some(participant("C-1", SECRETS[0], SECRETS[1])),
            driver: Some(participant("D-7", SECRETS[2], SECRETS[3])),
            slots: Default::default(),
            version: 3,
            providers: Default::default(),
        }
    }

    #[test]
    fn shows_ids_and_virtual_numbers_but_no_stored_secret() {
        let now = Utc::now();
        let view = SessionView::of(&record(now), now);
        let text = view.render();
        let json = serde_json::to_string(&view).unwrap();
        for out in [&text, &json] {
            assert!(
                out.contains("+918041000001") && out.contains("D-7"),
                "{out}"
            );
            for secret in SECRETS {
                assert!(!out.contains(secret), "{out}");
            }
        }
        assert!(text.contains("state:           active\n"), "{text}");
        assert!(text.contains("version:         3\n"), "{text}");
        assert!(!text.contains("backup"), "{text}");
    }

    #[test]
    fn backups_show_when_the_session_has_them() {
        let now = Utc::now();
        let mut rec = record(now);
        if let Some(numbers) = rec.session.numbers.as_mut() {
            numbers.customer_backup = Some(VirtualNumber::parse("+918041000011", None).unwrap());
            numbers.driver_backup = Some(VirtualNumber::parse("+918041000012", None).unwrap());
        }
        let view = SessionView::of(&rec, now);
        let text = view.render();
        assert!(
            text.contains(
                "driver dials:    +918041000002\n\
                 customer backup: +918041000011\n\
                 driver backup:   +918041000012\n\
                 assigned at:"
            ),
            "{text}"
        );
        assert_eq!(view.driver_backup.as_deref(), Some("+918041000012"));
    }

    #[test]
    fn state_follows_the_clock_and_tombstones_say_so() {
        let now = Utc::now();
        let mut rec = record(now);
        assert_eq!(
            SessionView::of(&rec, now + Duration::hours(2)).state,
            "expired"
        );
        rec.session.state = SessionState::Released;
        assert_eq!(SessionView::of(&rec, now).state, "released");
        rec.session.numbers = None;
        let view = SessionView::of(&rec, now);
        assert_eq!(view.state, "released (before assignment)");
        assert_eq!(view.customer_dials, None);
    }
}
