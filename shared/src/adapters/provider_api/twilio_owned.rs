//! Finding again the Twilio numbers Maskline bought, from Twilio's own records.
//!
//! A purchase can succeed while its answer is lost (a timeout, a 5xx, the function stopped), and
//! then only Twilio knows the number is ours. So every purchase carries a tag naming its region
//! and operator in Twilio's `FriendlyName`, and before buying refill lists the account's numbers
//! with that tag (`GET IncomingPhoneNumbers.json?FriendlyName=…`, page by page).

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::warn;

use super::http::{ApiClient, ApiFailure};
use super::twilio_api::{self, TwilioApi};
use crate::domain::{Operator, Region, VirtualNumber};
use crate::ports::number_provider::AcquiredNumber;

/// Twilio's limit on a `FriendlyName`.
const FRIENDLY_NAME_MAX: usize = 64;
/// Plenty for any pool (Twilio pages hold up to 1,000); a bound so a looping answer cannot hold
/// refill forever.
const MAX_PAGES: usize = 100;
const PAGE_SIZE: &str = "200";

/// The tag of numbers bought for (region, operator) by the deployment `scope` (its stack name):
/// `maskline/prod/blr/airtel`, so two stacks on one Twilio account never adopt or release each
/// other's numbers. Without a scope, the tag numbers had before stacks were named:
/// `maskline/blr/airtel`. `/` cannot occur in any id, so no two differ only in where the
/// separators fall; tags too long for Twilio's 64 characters get a digest instead. Never a phone
/// number: the tag is visible in Twilio's console and logs.
pub fn purchase_tag(scope: Option<&str>, region: &Region, operator: &Operator) -> String {
    let path = match scope {
        Some(scope) => format!("{scope}/{region}/{operator}"),
        None => format!("{region}/{operator}"),
    };
    let readable = format!("maskline/{path}");
    if readable.len() <= FRIENDLY_NAME_MAX {
        return readable;
    }
    let digest = Sha256::digest(path);
    format!("maskline/{}", &hex::encode(digest)[..40])
}

/// `{"incoming_phone_numbers":[{"sid":"PN…","phone_number":"+1…","friendly_name":…}, …],
///   "next_page_uri":"/2010-04-01/Accounts/AC…/IncomingPhoneNumbers.json?…&PageToken=…" | null, …}`
#[derive(Debug, Deserialize)]
struct ListPage {
    #[serde(default)]
    incoming_phone_numbers: Vec<Listed>,
    next_page_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    sid: Option<String>,
    phone_number: Option<String>,
    friendly_name: Option<String>,
}

/// Every number of the account tagged `tag`.
pub async fn numbers_tagged(
    api: &TwilioApi,
    client: &ApiClient,
    tag: &str,
) -> Result<Vec<AcquiredNumber>, ApiFailure> {
    let mut url = api.account_url("IncomingPhoneNumbers.json");
    let mut query = vec![
        ("FriendlyName".to_string(), tag.to_string()),
        ("PageSize".to_string(), PAGE_SIZE.to_string()),
    ];
    let mut found = Vec::new();
    for _ in 0..MAX_PAGES {
        let reply = client.get(&url, &query).await?;
        if !reply.is_success() {
            return Err(twilio_api::failure(&reply));
        }
        let page: ListPage = serde_json::from_str(&reply.body)
            .map_err(|e| ApiFailure::Unavailable(format!("unreadable number listing: {e}")))?;
        found.extend(
            page.incoming_phone_numbers
                .into_iter()
                .filter_map(|listed| {
                    // Twilio filters by name already; checking again costs nothing.
                    if listed.friendly_name.as_deref() != Some(tag) {
                        return None;
                    }
                    let vn = listed
                        .phone_number
                        .as_deref()
                        .and_then(|n| VirtualNumber::parse(n, None).ok());
                    if vn.is_none() {
                        warn!("skipping a listed Twilio number we cannot parse");
                    }
                    Some(AcquiredNumber {
                        vn: vn?,
                        provider_ref: listed.sid,
                    })
                }),
        );
        let Some(next) = page.next_page_uri.filter(|u| !u.is_empty()) else {
            return Ok(found);
        };
        // The next page's URI carries the whole query already.
        url = api.page_url(&next).ok_or_else(|| {
            ApiFailure::Unavailable(
                "the number listing's next page is not under the account".into(),
            )
        })?;
        query.clear();
    }
    Err(ApiFailure::Unavailable(format!(
        "the number listing ran past {MAX_PAGES} pages"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_scopes_its_tags() {
        let (region, operator) = (
            Region::parse("blr").unwrap(),
            Operator::parse("jio").unwrap(),
        );
        assert_eq!(
            purchase_tag(Some("prod"), &region, &operator),
            "maskline/prod/blr/jio"
        );
        assert_ne!(
            purchase_tag(Some("prod"), &region, &operator),
            purchase_tag(Some("staging"), &region, &operator)
        );
        let long = purchase_tag(Some(&"s".repeat(40)), &region, &operator);
        assert!(long.len() <= FRIENDLY_NAME_MAX && long.starts_with("maskline/"));
    }

    #[test]
    fn tags_name_region_and_operator_and_fit_twilio() {
        let tag = purchase_tag(
            None,
            &Region::parse("blr").unwrap(),
            &Operator::parse("airtel").unwrap(),
        );
        assert_eq!(tag, "maskline/blr/airtel");
        // `:` may occur in ids, so it cannot separate them: these two must differ.
        let a = purchase_tag(
            None,
            &Region::parse("a:b").unwrap(),
            &Operator::parse("c").unwrap(),
        );
        let b = purchase_tag(
            None,
            &Region::parse("a").unwrap(),
            &Operator::parse("b:c").unwrap(),
        );
        assert_ne!(a, b);
        let long = purchase_tag(
            None,
            &Region::parse(&"r".repeat(32)).unwrap(),
            &Operator::parse(&"o".repeat(32)).unwrap(),
        );
        assert!(
            long.len() <= FRIENDLY_NAME_MAX && long.starts_with("maskline/"),
            "{long}"
        );
    }
}
