//! Per-call status reports: the answer that connects a call names, for that call alone, where its
//! outcome is reported, with the order, the calling side and the dialled VN in the URL. A late
//! report then lands on the order the call was made for, whatever binding holds (VN, caller) by
//! the time it arrives, and without any write on the call path.
//!
//! Only where the provider lets an answer name a per-call report URL and signs the whole URL
//! (query included), so the attribution cannot be forged: Twilio's `<Number statusCallback>` and
//! Plivo's `<Dial callbackUrl>`, to the status route. Vonage's `connect` has one event URL, the
//! dial-result route (`dial_result`), whose query names the call under a seal: its final events
//! are logged from there. Exotel's Connect answer names no report URL, so its reports keep being
//! attributed through the binding.

use super::{BadRequest, ProviderKind};
use crate::domain::{OrderId, Side, VirtualNumber};

/// Whose call a per-call report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedCall {
    pub order_id: OrderId,
    pub caller_side: Side,
    pub dialled: VirtualNumber,
}

const ORDER: &str = "order";
const SIDE: &str = "side";
const VN: &str = "vn";

/// Whether `provider`'s answers name where the dialled leg of each call is reported, so the
/// number's own callback about the caller's leg is not a second outcome of the call.
pub fn reports_per_call(provider: ProviderKind) -> bool {
    provider != ProviderKind::Exotel
}

/// Whether `provider` reports each call to a status-route URL its answer names (Twilio's
/// `<Number statusCallback>`, Plivo's `<Dial callbackUrl>`), signed with the query.
pub fn reports_to_status_route(provider: ProviderKind) -> bool {
    matches!(provider, ProviderKind::Twilio | ProviderKind::Plivo)
}

/// Whether `provider`'s per-call report is its dial result: Vonage's synchronous `connect` event
/// URL hears the dialled leg's every event.
pub fn reports_through_dial_result(provider: ProviderKind) -> bool {
    provider == ProviderKind::Vonage
}

/// The report URL for one call: the status route with the call named in its query.
pub fn report_url(status_route: &str, call: &ReportedCall) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(ORDER, call.order_id.as_str())
        .append_pair(SIDE, call.caller_side.as_str())
        .append_pair(VN, call.dialled.as_str())
        .finish();
    format!("{status_route}?{query}")
}

/// The call a signed report URL names; `None` for a report without one (the number's own status
/// callback, a click-to-call leg).
pub fn reported_call(query: &[(String, String)]) -> Option<Result<ReportedCall, BadRequest>> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let order = get(ORDER)?;
    Some((|| {
        let order_id = OrderId::parse(order).map_err(|_| BadRequest::Invalid("order"))?;
        let caller_side = get(SIDE)
            .and_then(Side::parse)
            .ok_or(BadRequest::Invalid("side"))?;
        let dialled = get(VN)
            .and_then(|v| VirtualNumber::parse(v, None).ok())
            .ok_or(BadRequest::Invalid("vn"))?;
        Ok(ReportedCall {
            order_id,
            caller_side,
            dialled,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_url::route_beside;

    fn call() -> ReportedCall {
        ReportedCall {
            order_id: OrderId::parse("ORD-1").unwrap(),
            caller_side: Side::Customer,
            dialled: VirtualNumber::parse("+918041000001", None).unwrap(),
        }
    }

    #[test]
    fn the_report_url_sits_beside_the_voice_url_and_reads_back() {
        let route = route_beside(
            "https://api.example.com/prod/webhooks/twilio/voice?x=1",
            "status",
        )
        .unwrap();
        let url = report_url(&route, &call());
        assert_eq!(
            url,
            "https://api.example.com/prod/webhooks/twilio/status?order=ORD-1&side=customer&vn=%2B918041000001"
        );
        let query: Vec<(String, String)> =
            form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(reported_call(&query), Some(Ok(call())));
        assert_eq!(route_beside("https://x/other", "status"), None);
    }

    #[test]
    fn a_report_naming_no_order_is_not_per_call_and_a_bad_one_is_refused() {
        assert_eq!(
            reported_call(&[("leg".into(), "click-to-call".into())]),
            None
        );
        let bad = [
            ("order".to_string(), "ORD-1".to_string()),
            ("side".to_string(), "nobody".to_string()),
            ("vn".to_string(), "+918041000001".to_string()),
        ];
        assert_eq!(reported_call(&bad), Some(Err(BadRequest::Invalid("side"))));
    }
}
