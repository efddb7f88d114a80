//! Phone numbers, parsed once at the boundary.
//!
//! An [`E164`] is a real person's number: it may only leave this type encrypted, hashed or masked.
//! Its `Debug` and `Display` print the masked form so that a stray `{:?}` in a log line cannot leak it.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id as CountryId;
use serde::{Deserialize, Serialize};

/// Why a string is not a usable phone number. Never carries the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number cannot be parsed (expected E.164 such as +<country><number>, or a national number of the default country)")]
    Unparsable,
    #[error("phone number is not a valid number for its country")]
    Invalid,
    #[error(
        "unknown default country code {0:?} (expected an ISO 3166 alpha-2 code such as IN or US)"
    )]
    UnknownCountry(String),
}

/// A default country for numbers written in national format (`09876500001` in India).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultCountry(CountryId);

impl DefaultCountry {
    pub fn id(self) -> CountryId {
        self.0
    }
}

impl FromStr for DefaultCountry {
    type Err = NumberError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        CountryId::from_str(&code.trim().to_ascii_uppercase())
            .map(DefaultCountry)
            .map_err(|_| NumberError::UnknownCountry(code.to_string()))
    }
}

/// A valid phone number in canonical E.164 form (`+919876500001`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// Parses international (`+91 98765 00001`) or, with a default country, national
    /// (`098765 00001`) notation. Rejects numbers that are not valid for their country.
    pub fn parse(raw: &str, default_country: Option<DefaultCountry>) -> Result<Self, NumberError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NumberError::Empty);
        }
        let parsed = phonenumber::parse(default_country.map(DefaultCountry::id), trimmed)
            .map_err(|_| NumberError::Unparsable)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(NumberError::Invalid);
        }
        Ok(E164(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// The canonical digits, for encryption, hashing and provider answers only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `+91******0001`: the country prefix and last four digits, safe for logs.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks anything that might be a phone number, keeping a short prefix and the last four digits.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let prefix = if chars[0] == '+' { 3 } else { 2 };
    let tail = 4;
    let hidden = chars.len() - prefix - tail;
    let mut out: String = chars[..prefix].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.masked())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// One of the company's virtual numbers. Not a person's number, so it is shown and stored in clear
/// (it is what the apps display and what the providers dial).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VirtualNumber(String);

impl VirtualNumber {
    pub fn parse(raw: &str, default_country: Option<DefaultCountry>) -> Result<Self, NumberError> {
        E164::parse(raw, default_country).map(|n| VirtualNumber(n.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VirtualNumber {
    type Error = NumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        VirtualNumber::parse(&value, None)
    }
}

impl From<VirtualNumber> for String {
    fn from(value: VirtualNumber) -> Self {
        value.0
    }
}

impl fmt::Display for VirtualNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VirtualNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VN({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn india() -> Option<DefaultCountry> {
        Some("IN".parse().unwrap())
    }

    #[test]
    fn international_and_national_forms_agree() {
        let international = E164::parse("+91 98765 00001", None).unwrap();
        let national = E164::parse("098765 00001", india()).unwrap();
        let bare = E164::parse("9876500001", india()).unwrap();
        assert_eq!(international.expose(), "+919876500001");
        assert_eq!(national, international);
        assert_eq!(bare, international);
    }

    #[test]
    fn national_form_without_default_country_is_rejected() {
        assert_eq!(
            E164::parse("09876500001", None),
            Err(NumberError::Unparsable)
        );
    }

    #[test]
    fn garbage_and_empty_are_clear_errors() {
        assert_eq!(E164::parse("  ", india()), Err(NumberError::Empty));
        assert!(E164::parse("not a number", india()).is_err());
        assert_eq!(E164::parse("+91 123", None), Err(NumberError::Invalid));
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let n = E164::parse("+919876500001", None).unwrap();
        assert_eq!(format!("{n}"), "+91******0001");
        assert_eq!(format!("{n:?}"), "E164(+91******0001)");
        let err = E164::parse("+91 123", None).unwrap_err().to_string();
        assert!(!err.contains("123"));
    }

    #[test]
    fn masks_keep_prefix_and_last_four() {
        assert_eq!(mask("+14155550123"), "+14*****0123");
        assert_eq!(mask("04040404040"), "04*****4040");
        assert_eq!(mask("12345"), "*****");
    }

    #[test]
    fn unknown_default_country_is_reported() {
        assert!(matches!(
            "XX".parse::<DefaultCountry>(),
            Err(NumberError::UnknownCountry(_))
        ));
    }

    #[test]
    fn virtual_numbers_round_trip_through_serde() {
        let vn: VirtualNumber = serde_json::from_str("\"+14155550123\"").unwrap();
        assert_eq!(vn.as_str(), "+14155550123");
        assert_eq!(serde_json::to_string(&vn).unwrap(), "\"+14155550123\"");
        assert!(serde_json::from_str::<VirtualNumber>("\"12\"").is_err());
    }
}
