//! Turns what an operator typed — a CSV row or `pool add` arguments — into a [`PoolEntry`], so both
//! commands accept exactly the same input and explain a bad one the same way.

use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::{PoolEntry, KNOWN_PROVIDERS};
use maskline::domain::{Operator, Provider, Region, VirtualNumber};

/// The four fields of a pool entry, as text.
#[derive(Debug, Clone, Copy)]
pub struct RawEntry<'a> {
    pub number: &'a str,
    pub region: &'a str,
    pub operator: &'a str,
    pub provider: &'a str,
}

/// Everything wrong with one entry, not just the first problem, so a file is fixed in one pass.
/// The messages never repeat the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct EntryError(Vec<String>);

pub fn parse_entry(
    raw: RawEntry<'_>,
    default_country: Option<DefaultCountry>,
) -> Result<PoolEntry, EntryError> {
    let vn = VirtualNumber::parse(raw.number, default_country).map_err(|e| e.to_string());
    let region = Region::parse(raw.region).map_err(|e| e.to_string());
    let operator = Operator::parse(raw.operator).map_err(|e| e.to_string());
    let provider = Provider::parse(raw.provider)
        .map_err(|e| e.to_string())
        .and_then(|provider| {
            if KNOWN_PROVIDERS.contains(&provider.as_str()) {
                Ok(provider)
            } else {
                Err(format!(
                    "provider {provider} is none of {}: no route could open its numbers",
                    KNOWN_PROVIDERS.join(", ")
                ))
            }
        });
    match (vn, region, operator, provider) {
        (Ok(vn), Ok(region), Ok(operator), Ok(provider)) => Ok(PoolEntry {
            vn,
            region,
            operator,
            provider,
        }),
        (vn, region, operator, provider) => Err(EntryError(
            [vn.err(), region.err(), operator.err(), provider.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(number: &'a str, region: &'a str) -> RawEntry<'a> {
        RawEntry {
            number,
            region,
            operator: "Airtel",
            provider: "static",
        }
    }

    #[test]
    fn a_provider_label_no_route_could_open_is_refused() {
        let unknown = RawEntry {
            provider: "twilio-us",
            ..raw("+918041000001", "blr")
        };
        let err = parse_entry(unknown, None).unwrap_err().to_string();
        assert!(err.contains("twilio-us"), "{err}");
        for known in ["static", "twilio", "Exotel", "plivo", "vonage"] {
            let entry = RawEntry {
                provider: known,
                ..raw("+918041000001", "blr")
            };
            assert!(parse_entry(entry, None).is_ok(), "{known}");
        }
    }

    #[test]
    fn normalises_a_good_entry() {
        let entry = parse_entry(raw("+1 415 555 0100", "BLR"), None).unwrap();
        assert_eq!(entry.vn.as_str(), "+14155550100");
        assert_eq!(entry.region.as_str(), "blr");
        assert_eq!(entry.operator.as_str(), "airtel");
    }

    #[test]
    fn national_numbers_need_the_default_country() {
        assert!(parse_entry(raw("08041000001", "blr"), None).is_err());
        let india = Some("IN".parse().unwrap());
        let entry = parse_entry(raw("08041000001", "blr"), india).unwrap();
        assert_eq!(entry.vn.as_str(), "+918041000001");
    }

    #[test]
    fn reports_every_bad_field_without_echoing_the_number() {
        let err = parse_entry(raw("+1415555", "b#r"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("phone number"), "{err}");
        assert!(err.contains("region may only contain"), "{err}");
        assert!(!err.contains("1415555"), "{err}");
    }
}
