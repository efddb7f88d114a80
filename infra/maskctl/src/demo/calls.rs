//! Calls as a provider places them: the webhook built and signed exactly as that provider signs it
//! (`maskline::providers::simulate`, as `maskctl call` does), sent to resolve-call, and its answer
//! read back as "whose phone rings, showing which caller ID".

use anyhow::{anyhow, bail};
use chrono::Utc;
use maskline::providers::dial_result;
use maskline::providers::simulate::{
    decode_answer, dial_result_request, provider_request, whisper_request, DecodedAnswer, Signing,
    SimulatedCall, SimulatedRequest,
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
        let what = format!("{provider} fetching the callee's whisper");
        self.to_resolve_call(&what, "whisper", provider, url, signed)
            .await
    }

    /// The provider reporting that the leg an answer forwarded (call `call_id`) ended `status`,
    /// to the dial-result `url` that answer named, signed as it signs; the answer to the report,
    /// decoded and as rendered.
    pub async fn dial_result(
        &self,
        provider: ProviderKind,
        url: &str,
        call_id: &str,
        status: &str,
    ) -> anyhow::Result<(DecodedAnswer, String)> {
        let signed = dial_result_request(provider, url, &self.secrets, call_id, status, Utc::now())
            .map_err(|e| anyhow!(e))?;
        let what = format!("{provider} reporting a forwarded leg {status}");
        let body = self
            .to_resolve_call(&what, dial_result::HOOK, provider, url, signed)
            .await?;
        let answer = decode_answer(provider, &body).map_err(|e| anyhow!("{what}: {e}"))?;
        Ok((answer, body))
    }

    /// Sends a request the provider signed for the public `url` of its `hook` to where watch
    /// serves resolve-call (under its own prefix); the body of its 200 answer.
    async fn to_resolve_call(
        &self,
        what: &str,
        hook: &str,
        provider: ProviderKind,
        url: &str,
        signed: SimulatedRequest,
    ) -> anyhow::Result<String> {
        let public = public_base(&self.public_base, &format!("/webhooks/{provider}/{hook}"));
        let path_and_query = url
            .strip_prefix(&public)
            .ok_or_else(|| anyhow!("{what}: a URL outside this stack: {url}"))?;
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
        let (status, body) = self.send(what, request).await?;
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
        let call_id = format!("SIM{}", Utc::now().timestamp_millis());
        self.call_as(provider, &call_id, from, to).await
    }

    /// [`Stack::call_rendered`] as the call `call_id` (for a report about it that follows).
    pub async fn call_as(
        &self,
        provider: ProviderKind,
        call_id: &str,
        from: &str,
        to: &str,
    ) -> anyhow::Result<(DecodedAnswer, String)> {
        let call = SimulatedCall {
            provider,
            hook: "voice",
            call_id,
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
            now: Utc::now(),
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
