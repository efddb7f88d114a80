//! Identifiers that end up inside table keys, so they are checked once at the boundary: a `#` (the
//! key separator) or a control character could otherwise forge another item's key.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::number::{DefaultCountry, E164};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is missing or empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
    // Never the value itself: a rejected value may well be a phone number sent by mistake.
    #[error("{kind} may only contain letters, digits and - _ . :")]
    BadCharacter { kind: &'static str },
    #[error("{kind} looks like a phone number; send the platform's id, not the number")]
    LooksLikePhoneNumber { kind: &'static str },
}

fn check(kind: &'static str, raw: &str, max: usize) -> Result<String, IdError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.chars().count() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(IdError::BadCharacter { kind });
    }
    Ok(value.to_string())
}

/// Whether `value` reads as a valid phone number, with its `+` or without: an id that does
/// (a participant's, a provider's call id) would put the number itself into table keys and logs.
pub fn is_phone_number(value: &str) -> bool {
    let international = if value.starts_with('+') {
        value.to_string()
    } else {
        format!("+{value}")
    };
    E164::parse(&international, None).is_ok()
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, $normalise:expr) => {
        identifier!($(#[$doc])* $name, $kind, $max, $normalise, refuse_phone_numbers = false);
    };
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, $normalise:expr,
     refuse_phone_numbers = $refuse:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let normalise: fn(String) -> String = $normalise;
                let value = check($kind, raw, $max).map(normalise)?;
                if $refuse && is_phone_number(&value) {
                    return Err(IdError::LooksLikePhoneNumber { kind: $kind });
                }
                Ok($name(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// The order platform's order id (`ORD-1`), kept exactly as sent.
    OrderId, "order_id", 128, |s| s
);
identifier!(
    /// The order platform's id for a customer or agent (`C-1`, `D-7`).
    ParticipantId, "participant id", 128, |s| s, refuse_phone_numbers = true
);
impl ParticipantId {
    /// [`ParticipantId::parse`], also refusing a number written in the deployment's national
    /// format (`09876500001` with `DEFAULT_COUNTRY=IN`): an id is stored in clear, a phone never.
    pub fn parse_in(raw: &str, country: Option<DefaultCountry>) -> Result<Self, IdError> {
        let id = Self::parse(raw)?;
        if country.is_some() && E164::parse(id.as_str(), country).is_ok() {
            return Err(IdError::LooksLikePhoneNumber {
                kind: "participant id",
            });
        }
        Ok(id)
    }
}

identifier!(
    /// A pool region (`blr`); case-insensitive, stored in lower case.
    Region, "region", 32, |s| s.to_ascii_lowercase()
);
identifier!(
    /// A telecom operator within a region (`airtel`); case-insensitive, stored in lower case.
    Operator, "operator", 32, |s| s.to_ascii_lowercase()
);
identifier!(
    /// The telecom provider a VN is rented from (`twilio`, `exotel`, `static`).
    Provider, "provider", 32, |s| s.to_ascii_lowercase()
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_national_number_is_no_participant_id_where_a_country_is_set() {
        let india: Option<DefaultCountry> = Some("IN".parse().unwrap());
        assert!(
            ParticipantId::parse("09876500001").is_ok(),
            "no country: not a number"
        );
        let err = ParticipantId::parse_in("09876500001", india).unwrap_err();
        assert!(matches!(err, IdError::LooksLikePhoneNumber { .. }));
        assert!(ParticipantId::parse_in("D-7", india).is_ok());
        assert!(ParticipantId::parse_in("C-98765", india).is_ok());
    }

    #[test]
    fn accepts_ordinary_ids_and_normalises_regions() {
        assert_eq!(OrderId::parse(" ORD-1 ").unwrap().as_str(), "ORD-1");
        assert_eq!(Region::parse("BLR").unwrap().as_str(), "blr");
        assert_eq!(Operator::parse("Airtel").unwrap().as_str(), "airtel");
    }

    #[test]
    fn rejects_key_separators_and_empties() {
        assert!(matches!(
            OrderId::parse("ORD#1"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(matches!(Region::parse(""), Err(IdError::Empty { .. })));
        assert!(matches!(
            Region::parse(&"x".repeat(33)),
            Err(IdError::TooLong { .. })
        ));
    }

    #[test]
    fn a_phone_number_is_no_participant_id_and_is_never_echoed() {
        for number in ["919876500001", "14155550101"] {
            let err = ParticipantId::parse(number).unwrap_err();
            assert!(
                matches!(err, IdError::LooksLikePhoneNumber { .. }),
                "{number}"
            );
        }
        for number in ["+919876500001", "919876500001", "+91 98765 00001"] {
            let err = ParticipantId::parse(number).unwrap_err().to_string();
            assert!(!err.contains("98765"), "{err}");
        }
        // Platform ids, numeric ones included, still pass.
        for id in ["C-1", "D-7", "12345678", "u_4815162342"] {
            assert!(ParticipantId::parse(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<OrderId>("\"a b\"").is_err());
        let id: ParticipantId = serde_json::from_str("\"D-7\"").unwrap();
        assert_eq!(id.to_string(), "D-7");
    }
}
