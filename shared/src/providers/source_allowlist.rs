//! Source addresses a provider's requests may come from. Exotel signs nothing (a secret token in
//! the URL is all it offers), so a deployment can also name the networks Exotel calls from:
//! `EXOTEL_ALLOWED_CIDRS=a.b.c.d/24,e.f.g.h`. A request to an Exotel route from anywhere else is
//! refused before anything of it is read.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The networks one provider's requests may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAllowlist(Vec<IpNet>);

impl SourceAllowlist {
    /// A comma-separated list of CIDR ranges or single addresses; an empty list is refused (it
    /// would lock the provider out: leave the setting unset to allow any source).
    pub fn parse(raw: &str) -> Result<SourceAllowlist, String> {
        let networks = raw
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .enumerate()
            .map(|(i, part)| {
                IpNet::from_str(part)
                    .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                    .map_err(|_| format!("entry {} is neither a CIDR range nor an address", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if networks.is_empty() {
            return Err("lists no network".into());
        }
        Ok(SourceAllowlist(networks))
    }

    /// Whether a request from `source` (as API Gateway saw it) may be served.
    pub fn allows(&self, source: Option<&str>) -> bool {
        source
            .and_then(|s| IpAddr::from_str(s.trim()).ok())
            .is_some_and(|ip| self.0.iter().any(|net| net.contains(&ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_single_addresses_are_allowed_and_nothing_else() {
        let list = SourceAllowlist::parse(" 203.0.113.0/24, 198.51.100.7 ,2001:db8::/32").unwrap();
        assert!(list.allows(Some("203.0.113.200")));
        assert!(list.allows(Some("198.51.100.7")));
        assert!(list.allows(Some("2001:db8::1")));
        assert!(!list.allows(Some("198.51.100.8")));
        assert!(!list.allows(Some("not an address")));
        assert!(
            !list.allows(None),
            "a request whose source is unknown is refused"
        );
    }

    #[test]
    fn a_bad_or_empty_list_is_refused_without_echoing_it() {
        let err = SourceAllowlist::parse("203.0.113.0/24,exotel.example").unwrap_err();
        assert_eq!(err, "entry 2 is neither a CIDR range nor an address");
        assert!(SourceAllowlist::parse(" , ").is_err());
    }
}
