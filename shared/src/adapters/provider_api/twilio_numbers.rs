//! Renting numbers from Twilio for the pool, and giving them back.
//!
//! Twilio sells numbers in two steps: search the AvailablePhoneNumbers list, then buy each one by
//! POSTing it to IncomingPhoneNumbers. Between the two another buyer may take a number; Twilio
//! then answers 400 with error 21422, and we simply move on to the next one. Each purchase is
//! tagged so a purchase whose answer was lost can be found again (see `twilio_owned`).

use crate::public_url::public_url;
use async_trait::async_trait;
use serde::Deserialize;
use tracing::{info, warn};

use super::http::{ApiClient, ApiFailure};
use super::settings::{self, is_path_safe};
use super::twilio_api::{self, TwilioApi, NUMBER_NOT_AVAILABLE, PROVIDER};
use super::twilio_owned::{numbers_tagged, purchase_tag};
use crate::config::ConfigError;
use crate::domain::pool::PoolNumber;
use crate::domain::{Provider, VirtualNumber};
use crate::ports::number_provider::{
    AcquiredNumber, NumberProvider, NumberProviderError, NumberRequest,
};

/// Query parameters Maskline sets itself; a search filter may not override them.
const OWN_PARAMETERS: [&str; 2] = ["VoiceEnabled", "PageSize"];

/// Rents Twilio local numbers of one country, pointing their voice webhooks at Maskline.
#[derive(Debug, Clone)]
pub struct TwilioNumbers {
    api: TwilioApi,
    client: ApiClient,
    /// ISO 3166 alpha-2 (`IN`, `US`): Twilio searches one country at a time.
    country: String,
    /// The public URL prefix of Maskline's webhooks (`https://calls.example.com`). Required: a
    /// number bought without it would be paid for and ring nowhere.
    webhook_base: String,
    /// The deployment's name (`STACK_NAME`), in every purchase's tag: see [`purchase_tag`].
    scope: Option<String>,
}

/// `{"available_phone_numbers":[{"phone_number":"+1…", …}], …}`
#[derive(Debug, Deserialize)]
struct SearchPage {
    #[serde(default)]
    available_phone_numbers: Vec<Offered>,
}

#[derive(Debug, Deserialize)]
struct Offered {
    phone_number: String,
}

/// `{"sid":"PN…","phone_number":"+1…", …}`
#[derive(Debug, Default, Deserialize)]
struct Purchased {
    sid: Option<String>,
    phone_number: Option<String>,
}

impl TwilioNumbers {
    /// Twilio as a number source when `TWILIO_ACCOUNT_SID` is configured (`None` otherwise):
    /// numbers of `TWILIO_NUMBER_COUNTRY` (else `DEFAULT_COUNTRY`, else US), pointed at
    /// `PUBLIC_WEBHOOK_BASE_URL`, which must then be set.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Option<Result<TwilioNumbers, ConfigError>> {
        let api = TwilioApi::from_lookup(&lookup)?;
        Some(api.and_then(|api| {
            let base = settings::configured(&lookup, "PUBLIC_WEBHOOK_BASE_URL").ok_or(
                ConfigError::Invalid {
                    name: "PUBLIC_WEBHOOK_BASE_URL",
                    reason: "must be set to buy Twilio numbers: without it they would ring nowhere"
                        .into(),
                },
            )?;
            let country = settings::configured(&lookup, "TWILIO_NUMBER_COUNTRY")
                .or_else(|| settings::configured(&lookup, "DEFAULT_COUNTRY"))
                .unwrap_or_else(|| "US".into());
            let numbers = TwilioNumbers::new(api, country, base);
            Ok(match settings::configured(&lookup, "STACK_NAME") {
                Some(stack) => numbers.scoped_to(stack),
                None => numbers,
            })
        }))
    }

    pub fn new(
        api: TwilioApi,
        country: impl Into<String>,
        webhook_base: impl Into<String>,
    ) -> TwilioNumbers {
        TwilioNumbers {
            client: api.client(),
            api,
            country: country.into().trim().to_ascii_uppercase(),
            webhook_base: webhook_base.into().trim().trim_end_matches('/').to_string(),
            scope: None,
        }
    }

    /// Tags purchases with the deployment's name (`STACK_NAME`): see [`purchase_tag`].
    pub fn scoped_to(mut self, stack: impl Into<String>) -> TwilioNumbers {
        self.scope = Some(stack.into());
        self
    }

    fn refused(detail: impl Into<String>) -> NumberProviderError {
        NumberProviderError::Refused {
            provider: PROVIDER.to_string(),
            detail: detail.into(),
        }
    }

    /// The numbers Twilio offers right now, best first, as it listed them.
    async fn search(
        &self,
        query: &[(String, String)],
    ) -> Result<Vec<VirtualNumber>, NumberProviderError> {
        let url = self.api.account_url(&format!(
            "AvailablePhoneNumbers/{}/Local.json",
            self.country
        ));
        let reply = self
            .client
            .get(&url, query)
            .await
            .map_err(|f| f.into_number_error(PROVIDER))?;
        if !reply.is_success() {
            return Err(twilio_api::failure(&reply).into_number_error(PROVIDER));
        }
        let page: SearchPage = serde_json::from_str(&reply.body).map_err(|e| {
            ApiFailure::Unavailable(format!("unreadable number search answer: {e}"))
                .into_number_error(PROVIDER)
        })?;
        Ok(page
            .available_phone_numbers
            .into_iter()
            .filter_map(|offered| {
                // A NumberError never carries the number it rejected.
                VirtualNumber::parse(&offered.phone_number, None)
                    .inspect_err(
                        |e| warn!(error = %e, "skipping an offered number we cannot parse"),
                    )
                    .ok()
            })
            .collect())
    }

    /// Buys one number, tagged for finding it again. `Ok(None)` when someone else bought it first.
    async fn purchase(
        &self,
        vn: &VirtualNumber,
        tag: &str,
    ) -> Result<Option<AcquiredNumber>, ApiFailure> {
        let url = self.api.account_url("IncomingPhoneNumbers.json");
        let reply = self
            .client
            .post_form(&url, &purchase_form(vn, &self.webhook_base, tag))
            .await?;
        if !reply.is_success() {
            if reply.status == 400 && twilio_api::error_code(&reply) == Some(NUMBER_NOT_AVAILABLE) {
                info!(vn = %vn, "number was sold to someone else first; trying the next");
                return Ok(None);
            }
            return Err(twilio_api::failure(&reply));
        }
        // The number is ours now, whatever the body says: keep it even without its sid (it can
        // still take calls; giving it back then needs a person) rather than lose track of it.
        let purchased: Purchased = serde_json::from_str(&reply.body).unwrap_or_default();
        if purchased.sid.is_none() {
            warn!(vn = %vn, "Twilio sold a number without telling its sid");
        }
        let vn = purchased
            .phone_number
            .and_then(|n| VirtualNumber::parse(&n, None).ok())
            .unwrap_or_else(|| vn.clone());
        Ok(Some(AcquiredNumber {
            vn,
            provider_ref: purchased.sid,
        }))
    }
}

/// The search query: voice-capable numbers, `count` of them, narrowed by the target's filter.
fn search_query(count: u32, filter: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let mut query = vec![
        ("VoiceEnabled".to_string(), "true".to_string()),
        ("PageSize".to_string(), count.to_string()),
    ];
    query.extend(filter_pairs(filter)?);
    Ok(query)
}

/// Splits a target's search filter, a raw query-string fragment (`AreaCode=415`,
/// `InRegion=KA&Contains=41`), into decoded pairs. Raw means query-string rules: `+` is a space
/// and `%2B` a plus. Anything but `Name=value` pairs joined by `&` is refused, so a typo in a
/// target cannot turn into a different request. Errors name the position, never the value.
fn filter_pairs(filter: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut pairs = Vec::new();
    for (i, part) in filter.split('&').enumerate() {
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!("search filter part {} is not Name=value", i + 1));
        };
        let name_ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric());
        if !name_ok {
            return Err(format!(
                "search filter part {} has no parameter name of letters and digits",
                i + 1
            ));
        }
        let value_ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '=' | '&' | '#'));
        if !value_ok {
            return Err(format!(
                "search filter {name} has an empty or malformed value"
            ));
        }
        if OWN_PARAMETERS.contains(&name) {
            return Err(format!(
                "search filter may not set {name}: Maskline sets it"
            ));
        }
        pairs.extend(form_urlencoded::parse(part.as_bytes()).into_owned());
    }
    Ok(pairs)
}

/// The IncomingPhoneNumbers form: the number, the tag that finds it again (see
/// [`purchase_tag`]), and where its calls and call statuses go.
fn purchase_form(vn: &VirtualNumber, webhook_base: &str, tag: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PhoneNumber", vn.as_str().to_string()),
        ("FriendlyName", tag.to_string()),
        (
            "VoiceUrl",
            public_url(webhook_base, "/webhooks/twilio/voice"),
        ),
        ("VoiceMethod", "POST".to_string()),
        (
            "StatusCallback",
            public_url(webhook_base, "/webhooks/twilio/status"),
        ),
        ("StatusCallbackMethod", "POST".to_string()),
    ]
}

#[async_trait]
impl NumberProvider for TwilioNumbers {
    fn provider(&self) -> Provider {
        Provider::parse(PROVIDER).expect("\"twilio\" is a valid provider id")
    }

    /// A Twilio number given back is released: it leaves the account and the pool.
    fn keeps_given_back_numbers(&self) -> bool {
        false
    }

    async fn held(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<AcquiredNumber>, NumberProviderError> {
        let tag = purchase_tag(self.scope.as_deref(), &request.region, &request.operator);
        let mut held = numbers_tagged(&self.api, &self.client, &tag)
            .await
            .map_err(|f| f.into_number_error(PROVIDER))?;
        if self.scope.is_some() {
            // Numbers bought before purchases named their stack carry the unscoped tag; they are
            // still this deployment's (re-tag them in Twilio's console if two stacks share an
            // account and both bought under it).
            let legacy = purchase_tag(None, &request.region, &request.operator);
            let older = numbers_tagged(&self.api, &self.client, &legacy)
                .await
                .map_err(|f| f.into_number_error(PROVIDER))?;
            for number in older {
                if !held.iter().any(|h| h.vn == number.vn) {
                    held.push(number);
                }
            }
        }
        Ok(held)
    }

    async fn offered(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<VirtualNumber>, NumberProviderError> {
        let query =
            search_query(request.count, request.search.as_deref()).map_err(Self::refused)?;
        if !(self.country.len() == 2 && self.country.chars().all(|c| c.is_ascii_alphabetic())) {
            return Err(Self::refused(format!(
                "country {:?} is not an ISO 3166 alpha-2 code",
                self.country
            )));
        }
        if request.count == 0 {
            return Ok(Vec::new());
        }
        let mut offered = self.search(&query).await?;
        offered.truncate(request.count as usize);
        Ok(offered)
    }

    async fn acquire_one(
        &self,
        request: &NumberRequest,
        vn: &VirtualNumber,
    ) -> Result<Option<AcquiredNumber>, NumberProviderError> {
        let tag = purchase_tag(self.scope.as_deref(), &request.region, &request.operator);
        let bought = self
            .purchase(vn, &tag)
            .await
            .map_err(|f| f.into_number_error(PROVIDER))?;
        if bought.is_some() {
            info!(region = %request.region, operator = %request.operator, vn = %vn,
                  "rented a Twilio number");
        }
        Ok(bought)
    }

    async fn give_back(&self, number: &PoolNumber) -> Result<(), NumberProviderError> {
        let Some(sid) = number.provider_ref.as_deref() else {
            return Err(Self::refused(format!(
                "{} has no Twilio sid on record; release it in the Twilio console",
                number.vn
            )));
        };
        if !is_path_safe(sid) {
            return Err(Self::refused(format!(
                "{} has a malformed Twilio sid on record",
                number.vn
            )));
        }
        let url = self
            .api
            .account_url(&format!("IncomingPhoneNumbers/{sid}.json"));
        let reply = self
            .client
            .delete(&url)
            .await
            .map_err(|f| f.into_number_error(PROVIDER))?;
        match reply.status {
            // 404: already released (by an earlier attempt or by hand), which is what we wanted.
            404 => {
                info!(vn = %number.vn, sid, "Twilio number was already released");
                Ok(())
            }
            _ if reply.is_success() => {
                info!(vn = %number.vn, sid, "released Twilio number");
                Ok(())
            }
            _ => Err(twilio_api::failure(&reply).into_number_error(PROVIDER)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(raw: &str) -> VirtualNumber {
        VirtualNumber::parse(raw, None).unwrap()
    }

    #[test]
    fn filters_become_decoded_query_pairs_after_our_own() {
        let query = search_query(3, Some("InRegion=KA&Contains=%2B9180*")).unwrap();
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("VoiceEnabled", "true"),
                ("PageSize", "3"),
                ("InRegion", "KA"),
                ("Contains", "+9180*"),
            ]
        );
        assert_eq!(search_query(1, Some("  ")).unwrap().len(), 2);
        assert_eq!(search_query(1, None).unwrap().len(), 2);
    }

    #[test]
    fn malformed_filters_are_refused_without_echoing_them() {
        for bad in [
            "AreaCode",
            "AreaCode=",
            "=415",
            "Area Code=415",
            "AreaCode=415&",
            "AreaCode=4 15",
            "AreaCode=415#x",
            "AreaCode=415=416",
            "PageSize=1000",
            "9Code=415",
        ] {
            let err = filter_pairs(Some(bad)).unwrap_err();
            assert!(!err.contains("415"), "{bad}: {err}");
        }
    }

    #[test]
    fn purchases_point_the_number_at_our_webhooks() {
        let form = purchase_form(
            &vn("+14155550101"),
            "https://calls.example.com",
            "maskline/sfo/twilio-us",
        );
        assert_eq!(
            form,
            [
                ("PhoneNumber", "+14155550101".to_string()),
                ("FriendlyName", "maskline/sfo/twilio-us".to_string()),
                (
                    "VoiceUrl",
                    "https://calls.example.com/webhooks/twilio/voice".to_string()
                ),
                ("VoiceMethod", "POST".to_string()),
                (
                    "StatusCallback",
                    "https://calls.example.com/webhooks/twilio/status".to_string()
                ),
                ("StatusCallbackMethod", "POST".to_string()),
            ]
        );
    }

    #[test]
    fn twilio_numbers_are_not_bought_without_a_webhook_url() {
        let settings = |base: Option<&'static str>| {
            move |name: &str| match name {
                "TWILIO_ACCOUNT_SID" => Some("AC1".to_string()),
                "TWILIO_AUTH_TOKEN" => Some("tok".to_string()),
                "DEFAULT_COUNTRY" => Some("IN".to_string()),
                "PUBLIC_WEBHOOK_BASE_URL" => base.map(String::from),
                _ => None,
            }
        };
        let err = TwilioNumbers::from_lookup(settings(None))
            .unwrap()
            .err()
            .unwrap();
        assert!(err.to_string().contains("PUBLIC_WEBHOOK_BASE_URL"), "{err}");
        let numbers = TwilioNumbers::from_lookup(settings(Some("https://a.example.com")))
            .unwrap()
            .unwrap();
        assert_eq!(numbers.country, "IN");
        assert_eq!(numbers.webhook_base, "https://a.example.com");
        assert!(TwilioNumbers::from_lookup(|_: &str| None).is_none());
    }

    #[test]
    fn webhook_base_and_country_are_normalised() {
        let numbers = TwilioNumbers::new(
            TwilioApi::new("AC1", "tok"),
            " in ",
            " https://calls.example.com/",
        );
        assert_eq!(numbers.country, "IN");
        assert_eq!(numbers.webhook_base, "https://calls.example.com");
        assert_eq!(numbers.provider().as_str(), "twilio");
        assert!(!numbers.keeps_given_back_numbers());
    }
}
