//! calls: the customer calls the agent, the agent calls back, the same call through each provider,
//! and a stranger tries: each a webhook signed exactly as the provider signs it, answered in the
//! provider's format.

use anyhow::ensure;
use maskline::providers::simulate::{decode_whisper_url, DecodedAnswer};
use maskline::providers::ProviderKind;

use crate::demo::lambda::Dials;
use crate::demo::people::{Person, AGENT_D7, CUSTOMER_1, STRANGER};
use crate::demo::stack::Stack;

/// Whether the call rings `person`, showing `caller_id` when one is given.
pub fn rings(answer: &DecodedAnswer, person: Person, caller_id: Option<&str>) -> bool {
    match answer {
        DecodedAnswer::Connect {
            callee,
            caller_id: shown,
        } => callee == person.phone && caller_id.is_none_or(|id| id == shown),
        DecodedAnswer::OutOfSession => false,
    }
}

/// The answer in a failure message (made-up numbers only, so shown in full).
pub fn described(answer: &DecodedAnswer) -> String {
    match answer {
        DecodedAnswer::Connect { callee, caller_id } => {
            format!("connect, rings {callee} showing {caller_id}")
        }
        DecodedAnswer::OutOfSession => "out_of_session".into(),
    }
}

pub async fn customer_agent_and_stranger(stack: &Stack, ord1: &Dials) -> anyhow::Result<()> {
    let (c1_dials, d7_dials) = (ord1.customer.as_str(), ord1.driver.as_str());
    let (answer, rendered) = stack
        .call_rendered(ProviderKind::Twilio, CUSTOMER_1.phone, c1_dials)
        .await?;
    ensure!(
        rings(&answer, AGENT_D7, Some(d7_dials)),
        "C-1 dialling {c1_dials} should ring D-7 showing {d7_dials}; got {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "calls. C-1 dials {c1_dials} (a signed Twilio webhook) -> D-7's phone rings, showing \
         {d7_dials}, the number D-7 dials to call back"
    ));
    announcement(stack, &rendered).await?;

    let answer = stack
        .call(ProviderKind::Twilio, AGENT_D7.phone, d7_dials)
        .await?;
    ensure!(
        rings(&answer, CUSTOMER_1, Some(c1_dials)),
        "D-7 dialling {d7_dials} should ring C-1 showing {c1_dials}; got {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "calls. D-7 calls back on {d7_dials} -> C-1's phone rings, showing {c1_dials}; neither \
         saw the other's real number"
    ));

    for provider in [
        ProviderKind::Exotel,
        ProviderKind::Plivo,
        ProviderKind::Vonage,
    ] {
        let answer = stack.call(provider, CUSTOMER_1.phone, c1_dials).await?;
        ensure!(
            rings(&answer, AGENT_D7, Some(d7_dials)),
            "through {provider} C-1 should reach D-7 showing {d7_dials}; got {}",
            described(&answer)
        );
    }
    stack.say.ok(
        "calls. the same call through Exotel (token, national numbers), Plivo (signature V3) and \
         Vonage (signed JWT): same answer in each format",
    );

    let answer = stack
        .call(ProviderKind::Twilio, STRANGER.phone, c1_dials)
        .await?;
    ensure!(
        answer == DecodedAnswer::OutOfSession,
        "a stranger dialling {c1_dials} was connected: {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "calls. a stranger dials {c1_dials} -> out of session: a polite message, nobody rings, \
         nothing revealed"
    ));
    Ok(())
}

/// D-7 hears who calls about which order before the bridge: the answer names a whisper URL
/// (`<Number url>`), which Twilio fetches on D-7's answer and plays to D-7 alone.
async fn announcement(stack: &Stack, rendered: &str) -> anyhow::Result<()> {
    let url = decode_whisper_url(ProviderKind::Twilio, rendered)
        .ok_or_else(|| anyhow::anyhow!("the answer names no whisper for D-7: {rendered}"))?;
    let whisper = stack.whisper(ProviderKind::Twilio, &url).await?;
    let heard = whisper
        .split_once("<Say>")
        .and_then(|(_, rest)| rest.split_once("</Say>"))
        .map(|(text, _)| text.to_string())
        .unwrap_or_default();
    ensure!(
        heard.ends_with("order RD-1"),
        "D-7 should hear ORD-1's short id before the bridge; the whisper said {whisper}"
    );
    stack.say.ok(format!(
        "calls. the rendered answer: {rendered}\n   Twilio fetches its <Number url> when D-7 \
         answers and plays D-7 alone \"{heard}\" ({{order_short}} = ORD-1's last four \
         characters; ANNOUNCE_TO_DRIVER), then bridges"
    ));
    Ok(())
}
