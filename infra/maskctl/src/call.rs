//! `maskctl call`: the signed-webhook simulator. Builds the provider's request with
//! `maskline::providers::simulate` (signed exactly as the provider signs), sends it, and decodes
//! the answer into "who rings, showing which caller ID".

use std::time::Duration;

use anyhow::{anyhow, Context};
use maskline::domain::E164;
use maskline::providers::simulate::{
    decode_answer, provider_request, DecodedAnswer, Signing, SimulatedCall,
};
use maskline::providers::HttpMethod;
use maskline::webhook_config::WebhookConfig;
use serde_json::json;

use crate::cli::CallArgs;

pub async fn run(args: CallArgs) -> anyhow::Result<()> {
    let country = args.format.default_country;
    let from = E164::parse(&args.from, country).map_err(|e| anyhow!("--from: {e}"))?;
    let to = E164::parse(&args.to, country).map_err(|e| anyhow!("--to: {e}"))?;
    let secrets = WebhookConfig::from_env()
        .context("reading webhook settings")?
        .secrets;
    let call_id = format!("SIM{}", chrono::Utc::now().timestamp_millis());
    let call = SimulatedCall {
        provider: args.provider,
        hook: "voice",
        call_id: &call_id,
        from: from.expose(),
        to: to.expose(),
        extra: &[],
    };
    let signing = Signing {
        secrets: &secrets,
        base_url: &args.url,
        now: chrono::Utc::now(),
    };
    let request = provider_request(&call, &signing).map_err(|e| anyhow!(e))?;

    let (status, body) = tokio::task::spawn_blocking(move || send(&request))
        .await
        .context("the HTTP request task failed")??;
    if status != 200 {
        return Err(anyhow!("{} answered HTTP {status}: {body}", args.provider));
    }
    let answer = decode_answer(args.provider, &body).map_err(|e| anyhow!(e))?;
    let shown = |n: &str| {
        if args.reveal {
            n.to_string()
        } else {
            maskline::domain::number::mask(n)
        }
    };
    let caller = shown(from.expose());
    match (&answer, args.json) {
        (DecodedAnswer::Connect { callee, caller_id }, true) => println!(
            "{}",
            json!({"provider": args.provider.as_str(), "outcome": "connect", "from": caller,
                   "dialled": to.expose(), "rings": shown(callee), "caller_id": caller_id})
        ),
        (DecodedAnswer::Connect { callee, caller_id }, false) => println!(
            "{}: {caller} dials {} -> rings {} showing caller ID {caller_id}",
            args.provider,
            to.expose(),
            shown(callee)
        ),
        (DecodedAnswer::OutOfSession, true) => println!(
            "{}",
            json!({"provider": args.provider.as_str(), "outcome": "out_of_session",
                   "from": caller, "dialled": to.expose()})
        ),
        (DecodedAnswer::OutOfSession, false) => println!(
            "{}: {caller} dials {} -> out of session (polite refusal, nobody rings)",
            args.provider,
            to.expose()
        ),
    }
    Ok(())
}

/// Sends the request; any HTTP status is returned, not turned into an error.
fn send(
    request: &maskline::providers::simulate::SimulatedRequest,
) -> anyhow::Result<(u16, String)> {
    let agent = maskline::adapters::outbound_http::agent(Duration::from_secs(60));
    let mut response = match request.method {
        HttpMethod::Get => {
            let mut builder = agent.get(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder.call()
        }
        HttpMethod::Post => {
            let mut builder = agent.post(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder.send(request.body.as_bytes())
        }
    }
    .with_context(|| {
        format!(
            "calling {}",
            request.url.split('?').next().unwrap_or_default()
        )
    })?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .context("reading the answer")?;
    Ok((status, body))
}
