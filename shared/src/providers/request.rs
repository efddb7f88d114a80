//! An HTTP webhook request reduced to what signature checks and parsers need.

use std::collections::HashMap;

use serde_json::Value;

use super::BadRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

#[derive(Clone)]
pub struct WebhookRequest {
    pub method: HttpMethod,
    /// The URL the provider requested — scheme, host, path and query exactly as sent — which is
    /// what Twilio and Plivo sign.
    pub url: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for WebhookRequest {
    // Deliberately opaque: the URL carries the secret token and the body carries phone numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WebhookRequest({:?}, {} body bytes)",
            self.method,
            self.body.len()
        )
    }
}

impl WebhookRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The raw query string (without `?`), if any.
    pub fn raw_query(&self) -> &str {
        self.url.split_once('?').map_or("", |(_, q)| q)
    }

    /// The URL without its query string.
    pub fn url_without_query(&self) -> &str {
        self.url
            .split_once('?')
            .map_or(self.url.as_str(), |(u, _)| u)
    }

    pub fn query_params(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.raw_query().as_bytes())
            .into_owned()
            .collect()
    }

    pub fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
    }

    /// POST form parameters (empty for GET or a JSON body).
    pub fn form_params(&self) -> Vec<(String, String)> {
        if self.method != HttpMethod::Post || self.is_json() {
            return Vec::new();
        }
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn json_body(&self) -> Result<Option<Value>, BadRequest> {
        if self.method != HttpMethod::Post || !self.is_json() || self.body.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|_| BadRequest::Body("JSON"))
    }

    /// Every parameter the provider sent: query, then form body, then top-level JSON fields.
    pub fn all_params(&self) -> Result<Vec<(String, String)>, BadRequest> {
        let mut params = self.query_params();
        params.extend(self.form_params());
        if let Some(Value::Object(fields)) = self.json_body()? {
            for (key, value) in fields {
                let text = match value {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                params.push((key, text));
            }
        }
        Ok(params)
    }
}

/// The first value of `name` among `params`, trimmed; empty counts as missing.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

pub fn required<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> Result<&'a str, BadRequest> {
    param(params, name).ok_or(BadRequest::Missing(name))
}

/// Whole seconds from the first of `names` present (providers name durations differently, and
/// some send one of several): `None` when none is sent, an error naming the first when unreadable.
pub fn optional_seconds(
    params: &[(String, String)],
    names: &[&'static str],
) -> Result<Option<u32>, BadRequest> {
    names
        .iter()
        .find_map(|name| param(params, name))
        .map(|raw| raw.parse().map_err(|_| BadRequest::Invalid(names[0])))
        .transpose()
}
