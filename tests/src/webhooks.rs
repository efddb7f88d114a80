//! Provider requests as the providers send them (signed the documented way), and their answers
//! decoded back into "who rings, showing which caller ID".

use lambda_http::{Body, Request};
use maskline::providers::simulate::{self, Signing, SimulatedCall};
use maskline::providers::AnswerOptions;
use maskline::providers::{HttpMethod, ProviderKind};
use maskline::webhook_config::{WebhookConfig, WebhookSecrets};

pub const PUBLIC_BASE: &str = "https://maskline.example.com";
// Made up, at the lengths the providers issue (the functions refuse shorter ones at start-up).
pub const TWILIO_TOKEN: &str = "7e570000000000000000000000000002";
pub const PLIVO_TOKEN: &str = "plivo-test-auth-token-made-up-for-the-tests";
pub const VONAGE_SECRET: &str = "vonage-test-signature-secret-made-up-0123";
pub const EXOTEL_TOKEN: &str = "exotel-url-token-for-the-tests-0123456789";
pub const VONAGE_TOKEN: &str = "vonage-url-token-for-the-tests-0123456789";

/// Webhook settings with every provider configured.
pub fn config() -> WebhookConfig {
    WebhookConfig {
        secrets: WebhookSecrets {
            twilio_auth_token: Some(TWILIO_TOKEN.into()),
            plivo_auth_token: Some(PLIVO_TOKEN.into()),
            vonage_signature_secret: Some(VONAGE_SECRET.into()),
            exotel_token: Some(EXOTEL_TOKEN.into()),
            vonage_token: Some(VONAGE_TOKEN.into()),
        },
        public_base_url: Some(PUBLIC_BASE.into()),
        answer: AnswerOptions::default(),
        default_country: Some("IN".parse().unwrap()),
        replay_guard: false,
        exotel_sources: None,
    }
}

/// A voice (`hook` = "voice") or status (`hook` = "status") webhook from `provider` about a call
/// from `from` to `to`, signed as that provider signs (see `maskline::providers::simulate`), as the
/// HTTP API hands it to the function. `extra` adds provider fields (a status, a duration…).
pub fn provider_request(
    provider: ProviderKind,
    hook: &str,
    call_id: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> Request {
    signed_with(&config().secrets, provider, hook, call_id, from, to, extra)
}

/// [`provider_request`] signed with `secrets` (the provider signs with the first of a list).
pub fn signed_with(
    secrets: &WebhookSecrets,
    provider: ProviderKind,
    hook: &str,
    call_id: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> Request {
    let secrets = secrets.clone();
    let now = chrono::Utc::now();
    // A number-health report carries the time its forwarder made it (docs/pool.md).
    let stamped = now.to_rfc3339();
    let mut extra = extra.to_vec();
    if hook == "number-health" && !extra.iter().any(|(name, _)| *name == "reported_at") {
        extra.push(("reported_at", &stamped));
    }
    let call = SimulatedCall {
        provider,
        hook,
        call_id,
        from,
        to,
        extra: &extra,
    };
    let signing = Signing {
        secrets: &secrets,
        base_url: PUBLIC_BASE,
        now,
    };
    let signed =
        simulate::provider_request(&call, &signing).expect("every test secret is configured");
    into_request(signed)
}

/// The provider fetching the whisper `url` its answer named (on the callee's answer), signed
/// with `secrets` as that provider signs (see `maskline::providers::simulate::whisper_request`).
pub fn whisper_fetch(provider: ProviderKind, url: &str, secrets: &WebhookSecrets) -> Request {
    let signed = simulate::whisper_request(provider, url, secrets, "CA-whisper-leg")
        .expect("a whisper URL and configured secrets");
    into_request(signed)
}

/// The provider reporting how a forwarded leg ended (`status`, in its own words) to the
/// dial-result `url` its answer named, signed with `secrets` as that provider signs (see
/// `maskline::providers::simulate::dial_result_request`).
pub fn dial_result(
    provider: ProviderKind,
    url: &str,
    secrets: &WebhookSecrets,
    call_id: &str,
    status: &str,
) -> Request {
    let signed =
        simulate::dial_result_request(provider, url, secrets, call_id, status, chrono::Utc::now())
            .expect("a dial-result URL and configured secrets");
    into_request(signed)
}

/// A simulated request as the HTTP API hands it to a function.
fn into_request(signed: simulate::SimulatedRequest) -> Request {
    let method = match signed.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(&signed.path_and_query)
        .header("host", "maskline.example.com");
    for (name, value) in &signed.headers {
        builder = builder.header(name, value);
    }
    let body = if signed.body.is_empty() {
        Body::Empty
    } else {
        Body::Text(signed.body)
    };
    builder.body(body).unwrap()
}

/// What the caller hears, judged by the tests' own reading of the answer ([`crate::call_oracle`]).
pub type Decoded = crate::call_oracle::Heard;

/// Reads a provider-format answer back as "who rings, showing which caller ID".
pub fn decode(provider: ProviderKind, body: &str) -> Decoded {
    crate::call_oracle::hear(provider, body).unwrap()
}

/// The body of a lambda_http response as text.
pub fn body_text(body: &Body) -> String {
    match body {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

/// A status report of a call from `from` to the VN `to`, as the provider sends it. Twilio and
/// Plivo report the dialled leg to the per-call URL the call's answer named (found here through
/// the binding the call used, as resolve-call does when it answers); the others call their status
/// URL.
pub async fn status_report(
    events: &maskline::services::CallEvents,
    provider: ProviderKind,
    call_id: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> Request {
    use maskline::domain::{VirtualNumber, E164};
    use maskline::providers::call_report::{report_url, ReportedCall};
    use maskline::services::caller_binding::find_binding;
    if !matches!(provider, ProviderKind::Twilio | ProviderKind::Plivo) {
        return provider_request(provider, "status", call_id, from, to, extra);
    }
    let (Ok(caller), Ok(dialled)) = (E164::parse(from, None), VirtualNumber::parse(to, None))
    else {
        return provider_request(provider, "status", call_id, from, to, extra);
    };
    // The binding resolve-call found when it answered (under an older listed key, mid-rotation).
    let found = find_binding(
        events.store.as_ref(),
        &events.caller_keys,
        &dialled,
        &caller,
        |_| true,
    )
    .await
    .unwrap();
    let Some(binding) = found else {
        // Nobody's call: only the number's own callback would report it.
        return provider_request(provider, "status", call_id, from, to, extra);
    };
    let call = ReportedCall {
        order_id: binding.order_id,
        caller_side: binding.caller_side,
        dialled,
    };
    let url = report_url(&format!("{PUBLIC_BASE}/webhooks/{provider}/status"), &call);
    match provider {
        ProviderKind::Plivo => plivo_dialled_leg(&url, call_id, to, extra),
        _ => twilio_dialled_leg(&url, call_id, to, extra),
    }
}

/// Plivo's `<Dial callbackUrl>` report that the leg dialled for call `call_id` hung up, to the
/// per-call `url` its answer named. `extra` says how as a status report would (`CallStatus`,
/// `Duration`): turned into the hangup cause and B-leg duration Plivo sends.
pub fn plivo_dialled_leg(
    url: &str,
    call_id: &str,
    from_vn: &str,
    extra: &[(&str, &str)],
) -> Request {
    let hook = url
        .strip_prefix(&format!("{PUBLIC_BASE}/webhooks/plivo/"))
        .expect("a report URL of this deployment");
    let get = |name: &str| extra.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let cause = match get("CallStatus").unwrap_or("completed") {
        "completed" => "NORMAL_CLEARING",
        "busy" => "USER_BUSY",
        "no-answer" => "NO_ANSWER",
        "canceled" | "cancel" => "ORIGINATOR_CANCEL",
        _ => "RECOVERY_ON_TIMER_EXPIRE",
    };
    let duration = get("Duration").or(get("BillDuration")).unwrap_or("0");
    let fields = [
        ("DialAction", "hangup"),
        ("DialBLegStatus", "hangup"),
        ("DialBLegHangupCause", cause),
        ("DialALegUUID", call_id),
        ("DialBLegUUID", "b-leg-of-the-call"),
        ("DialBLegDuration", duration),
    ];
    let leg = format!("{call_id}-dialled");
    provider_request(
        ProviderKind::Plivo,
        hook,
        &leg,
        from_vn,
        "+919876599999",
        &fields,
    )
}

/// Twilio's report of the leg a `<Dial>` placed for call `call_id`, to the per-call `url` its
/// answer named: the leg has its own sid, and names the call it was dialled from.
pub fn twilio_dialled_leg(
    url: &str,
    call_id: &str,
    from_vn: &str,
    extra: &[(&str, &str)],
) -> Request {
    let hook = url
        .strip_prefix(&format!("{PUBLIC_BASE}/webhooks/twilio/"))
        .expect("a report URL of this deployment");
    let leg = format!("{call_id}-dialled");
    let mut fields = vec![("ParentCallSid", call_id), ("Direction", "outbound-dial")];
    fields.extend_from_slice(extra);
    // The dialled leg comes from the VN shown as caller ID to the callee (a made-up number).
    provider_request(
        ProviderKind::Twilio,
        hook,
        &leg,
        from_vn,
        "+919876599999",
        &fields,
    )
}
