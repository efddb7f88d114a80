//! Calls as a provider places them: the webhook built and signed exactly as that provider signs it
//! (`maskline::providers::simulate`, as `maskctl call` does), sent to resolve-call, and its answer
//! read back as "whose phone rings, showing which caller ID".

use anyhow::{anyhow, bail};
use maskline::providers::simulate::{
    decode_answer, provider_request, whisper_request, DecodedAnswer, Signing, SimulatedCall,
};
use maskline::providers::{HttpMethod, ProviderKind};
use maskline::public_url::public_base;

use super::lambda::{Method, Request};
use super::stack::Stack;

impl Stack {
    pub async fn call(
        &self,
        provider: ProviderKind,
        from: &str,
        to: &str,
    ) -> anyhow::Result<DecodedAnswer> {
        Ok(self.call_rendered(provider, from, to).await?.0)
    }

    /// The provider fetching the whisper `url` an answer named, signed as it signs: what the
    /// callee hears on answering (the provider's own format).
    pub async fn whisper(&self, provider: ProviderKind, url: &str) -> anyhow::Result<String> {
        let signed =
            whisper_request(provider, url, &self.secrets, "SIM-whisper").map_err(|e| anyhow!(e))?;
        // Signed for the public URL; watch serves resolve-call under its own prefix.
        let public = public_base(&self.public_base, &format!("/webhooks/{provider}/whisper"));
        let path_and_query = url
            .strip_prefix(&public)
            .ok_or_else(|| anyhow!("a whisper URL outside this stack: {url}"))?;
        let request = Request {
            method: if signed.method == HttpMethod::Post {
                Method::Post
            } else {
                Method::Get
            },
            url: format!("{}/lambda-url/resolve-call{path_and_query}", self.lambda),
            headers: signed.headers,
            body: signed.body,
        };
        let what = format!("{provider} fetching the callee's whisper");
        let (status, body) = self.send(&what, request).await?;
        if status != 200 {
            bail!("{what}: resolve-call answered HTTP {status}: {body}");
        }
        Ok(body)
    }

    /// [`Stack::call`], with the answer as rendered.
    pub async fn call_rendered(
        &self,
        provider: ProviderKind,
        from: &str,
        to: &str,
    ) -> anyhow::Result<(DecodedAnswer, String)> {
        let call_id = format!("SIM{}", chrono::Utc::now().timestamp_millis());
        let call = SimulatedCall {
            provider,
            hook: "voice",
            call_id: &call_id,
            from,
            to,
            extra: &[],
        };
        // Signed for the public URL the function checks against, as a provider behind a tunnel
        // would sign; sent to where watch serves resolve-call.
        let signed_for = public_base(&self.public_base, &format!("/webhooks/{provider}/voice"));
        let signing = Signing {
            secrets: &self.secrets,
            base_url: &signed_for,
            now: chrono::Utc::now(),
        };
        let signed = provider_request(&call, &signing).map_err(|e| anyhow!(e))?;
        let request = Request {
            method: if signed.method == HttpMethod::Post {
                Method::Post
            } else {
                Method::Get
            },
            url: format!(
                "{}/lambda-url/resolve-call{}",
                self.lambda, signed.path_and_query
            ),
            headers: signed.headers,
            body: signed.body,
        };
        let what = format!("a {provider} call from {from} to {to}");
        let (status, body) = self.send(&what, request).await?;
        if status != 200 {
            bail!("{what}: resolve-call answered HTTP {status}: {body}");
        }
        let answer = decode_answer(provider, &body).map_err(|e| anyhow!("{what}: {e}"))?;
        Ok((answer, body))
    }
}
