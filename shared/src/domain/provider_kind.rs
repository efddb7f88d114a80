//! The telecom providers whose webhooks Maskline speaks: a closed set, named in routes, in the
//! pool (`provider` of a number) and in call records.

use std::fmt;
use std::str::FromStr;

/// The providers Maskline speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Twilio,
    Exotel,
    Plivo,
    Vonage,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Twilio,
        ProviderKind::Exotel,
        ProviderKind::Plivo,
        ProviderKind::Vonage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Twilio => "twilio",
            ProviderKind::Exotel => "exotel",
            ProviderKind::Plivo => "plivo",
            ProviderKind::Vonage => "vonage",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(())
    }
}
