//! What the parties hear before the bridge. The callee may hear a short announcement naming who
//! calls about which order (`ANNOUNCE_TO_DRIVER`, `ANNOUNCE_TO_CUSTOMER`), and with `RECORD_CALLS`
//! on both parties hear the recording consent notice: the caller before the dial, the callee on
//! answering, before the bridge (each provider's own mechanism, see `whisper`).
//!
//! The only placeholder is `{order_short}`: the order id's last [`ORDER_SHORT_CHARS`] characters,
//! enough for a driver with a few orders to tell which one, and never a phone number (an order id
//! cannot be one: `OrderId` refuses ids that read as phone numbers, and four characters cannot).

use crate::domain::{OrderId, Side};

/// The placeholder an announcement template may carry.
pub const ORDER_SHORT: &str = "{order_short}";
/// How many of the order id's last characters `{order_short}` shows.
pub const ORDER_SHORT_CHARS: usize = 4;
/// The longest template accepted: a few seconds of speech, not a speech.
pub const MAX_TEMPLATE_CHARS: usize = 300;

pub const DEFAULT_CONSENT_MESSAGE: &str = "This call will be recorded.";

/// `{order_short}` of `order`: its last four characters (the whole id when shorter).
pub fn order_short(order: &OrderId) -> &str {
    let id = order.as_str();
    let start = id
        .char_indices()
        .rev()
        .nth(ORDER_SHORT_CHARS - 1)
        .map_or(0, |(at, _)| at);
    &id[start..]
}

/// An announcement as configured: text with `{order_short}` where the order's short id goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

impl Template {
    /// Refuses an empty or overlong template and any placeholder but `{order_short}` (a typo
    /// such as `{order}` would otherwise be read out to every callee).
    pub fn parse(raw: &str) -> Result<Template, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(
                "an announcement cannot be empty (leave the setting unset for none)".into(),
            );
        }
        if text.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(format!(
                "an announcement is at most {MAX_TEMPLATE_CHARS} characters"
            ));
        }
        if text.replace(ORDER_SHORT, "").contains(['{', '}']) {
            return Err(format!("the only placeholder is {ORDER_SHORT}"));
        }
        Ok(Template(text.to_string()))
    }

    pub fn render(&self, order: &OrderId) -> String {
        self.0.replace(ORDER_SHORT, order_short(order))
    }
}

/// The deployment's announcements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcements {
    /// Heard by the driver when the customer calls.
    pub to_driver: Option<Template>,
    /// Heard by the customer when the driver calls.
    pub to_customer: Option<Template>,
    /// Heard by both parties when calls are recorded.
    pub consent_message: String,
}

impl Default for Announcements {
    fn default() -> Self {
        Announcements {
            to_driver: None,
            to_customer: None,
            consent_message: DEFAULT_CONSENT_MESSAGE.to_string(),
        }
    }
}

impl Announcements {
    /// What `callee` hears on answering a call about `order`, before the bridge: their
    /// announcement, then the consent notice when `recorded`. `None`: nothing, the call bridges
    /// at once as it always did.
    pub fn to_callee(&self, callee: Side, order: &OrderId, recorded: bool) -> Option<String> {
        let template = match callee {
            Side::Driver => &self.to_driver,
            Side::Customer => &self.to_customer,
        };
        let parts: Vec<String> = template
            .iter()
            .map(|t| t.render(order))
            .chain(recorded.then(|| self.consent_message.clone()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// What the caller hears before the dial: the consent notice when `recorded`.
    pub fn to_caller(&self, recorded: bool) -> Option<&str> {
        recorded.then_some(self.consent_message.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> OrderId {
        OrderId::parse(id).unwrap()
    }

    #[test]
    fn order_short_is_the_last_four_characters() {
        assert_eq!(order_short(&order("ORD-4821")), "4821");
        assert_eq!(order_short(&order("A1")), "A1");
        assert_eq!(order_short(&order("abcd")), "abcd");
    }

    #[test]
    fn only_the_order_short_placeholder_is_accepted() {
        let t = Template::parse("Call from your customer for order {order_short}").unwrap();
        assert_eq!(
            t.render(&order("ORD-4821")),
            "Call from your customer for order 4821"
        );
        assert!(Template::parse("order {order}").is_err());
        assert!(Template::parse("  ").is_err());
        assert!(Template::parse(&"a".repeat(MAX_TEMPLATE_CHARS + 1)).is_err());
    }

    #[test]
    fn the_callee_hears_their_own_announcement_then_consent() {
        let announcements = Announcements {
            to_driver: Some(Template::parse("Customer, order {order_short}.").unwrap()),
            ..Announcements::default()
        };
        let o = order("ORD-4821");
        assert_eq!(
            announcements.to_callee(Side::Driver, &o, false).as_deref(),
            Some("Customer, order 4821.")
        );
        assert_eq!(announcements.to_callee(Side::Customer, &o, false), None);
        assert_eq!(
            announcements.to_callee(Side::Customer, &o, true).as_deref(),
            Some(DEFAULT_CONSENT_MESSAGE)
        );
        assert_eq!(
            announcements.to_callee(Side::Driver, &o, true).unwrap(),
            format!("Customer, order 4821. {DEFAULT_CONSENT_MESSAGE}")
        );
        assert_eq!(announcements.to_caller(false), None);
        assert_eq!(announcements.to_caller(true), Some(DEFAULT_CONSENT_MESSAGE));
    }
}
