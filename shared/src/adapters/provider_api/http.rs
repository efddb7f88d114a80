//! A small HTTP client for the providers' REST APIs.
//!
//! The calls are few (a refill now and then, one per click-to-call), so a blocking client (ureq,
//! already used by maskctl) on tokio's blocking pool is enough: the Lambda runtime's async threads
//! never wait on a slow provider, and no second HTTP stack joins the build.

use std::time::Duration;

use base64::Engine as _;

use crate::domain::number::mask;
use crate::ports::dialer::DialError;
use crate::ports::number_provider::NumberProviderError;

/// Long enough for a provider's slow day, short enough to leave a Lambda time to report it.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Provider answers are small JSON documents; anything bigger is not one of them.
const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// A provider's answer, whatever its status: the adapters decide what a 404 or a 400 means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a provider call failed, before it becomes a port's error (which also names the provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// The provider said no; sending the same request again will not help.
    Refused(String),
    /// The provider could not be reached, was overloaded or answered garbage; later may work.
    Unavailable(String),
}

impl ApiFailure {
    /// Sorts a failed answer. A 4xx is a refusal, except 429: throttling passes. `explanation` is
    /// the provider's own words, already scrubbed of numbers.
    pub fn from_status(status: u16, explanation: Option<String>) -> ApiFailure {
        let detail = match explanation {
            Some(words) => format!("HTTP {status}, {words}"),
            None => format!("HTTP {status}"),
        };
        if (400..500).contains(&status) && status != 429 {
            ApiFailure::Refused(detail)
        } else {
            ApiFailure::Unavailable(detail)
        }
    }

    pub fn into_number_error(self, provider: &str) -> NumberProviderError {
        let provider = provider.to_string();
        match self {
            ApiFailure::Refused(detail) => NumberProviderError::Refused { provider, detail },
            ApiFailure::Unavailable(detail) => {
                NumberProviderError::Unavailable { provider, detail }
            }
        }
    }

    pub fn into_dial_error(self, provider: &str) -> DialError {
        let provider = provider.to_string();
        match self {
            ApiFailure::Refused(detail) => DialError::Refused { provider, detail },
            ApiFailure::Unavailable(detail) => DialError::Unavailable { provider, detail },
        }
    }
}

/// Masks every run of six or more digits (with its `+`): providers quote the numbers they reject
/// ("The 'To' number +1415… is not valid"), and their words end up in our errors and logs. A run
/// goes on across the spaces, dashes, dots and parentheses people write numbers with
/// (`+91 98765 00002`, `(415) 555-0101`), so no grouping lets a number through.
/// Also caps the length, since a provider message is an explanation, not a document.
pub fn scrub_numbers(text: &str) -> String {
    // Every way people group digits: spaces (also no-break and thin ones), dashes, brackets,
    // dots, slashes and commas.
    let is_separator = |c: char| {
        matches!(
            c,
            ' ' | '-' | '(' | ')' | '.' | '/' | ',' | '\u{a0}' | '\u{202f}' | '\u{2009}'
        )
    };
    let mut out = String::with_capacity(text.len());
    // The run so far (digits and the separators between them), and separators after its last
    // digit, which belong to the run only if another digit follows.
    let (mut run, mut pending) = (String::new(), String::new());
    let flush = |run: &mut String, out: &mut String| {
        let number: String = run
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        if number.chars().filter(char::is_ascii_digit).count() >= 6 {
            out.push_str(&mask(&number));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push_str(&pending);
            pending.clear();
            run.push(c);
        } else if !run.is_empty() && is_separator(c) {
            pending.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push_str(&pending);
            pending.clear();
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out.push_str(&pending);
    out.chars().take(300).collect()
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Delete,
}

/// One provider account's client: basic auth, JSON accepted, a timeout, and every status
/// returned as a [`Reply`] rather than turned into an error.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    authorization: String,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiClient { authorization: <hidden> }")
    }
}

impl ApiClient {
    pub fn new(user: &str, secret: &str) -> ApiClient {
        let agent = crate::adapters::outbound_http::agent(TIMEOUT);
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        ApiClient {
            agent,
            authorization: format!("Basic {credentials}"),
        }
    }

    /// GET `url` with `query` appended, form-encoded.
    pub async fn get(&self, url: &str, query: &[(String, String)]) -> Result<Reply, ApiFailure> {
        self.run(Method::Get, with_query(url, query), Vec::new())
            .await
    }

    /// POST a form-encoded body.
    pub async fn post_form(&self, url: &str, form: &[(&str, String)]) -> Result<Reply, ApiFailure> {
        let form = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.run(Method::Post, url.to_string(), form).await
    }

    pub async fn delete(&self, url: &str) -> Result<Reply, ApiFailure> {
        self.run(Method::Delete, url.to_string(), Vec::new()).await
    }

    async fn run(
        &self,
        method: Method,
        url: String,
        form: Vec<(String, String)>,
    ) -> Result<Reply, ApiFailure> {
        let client = self.clone();
        tokio::task::spawn_blocking(move || client.call(method, &url, &form))
            .await
            .map_err(|e| ApiFailure::Unavailable(format!("the HTTP call did not finish: {e}")))?
    }

    fn call(
        &self,
        method: Method,
        url: &str,
        form: &[(String, String)],
    ) -> Result<Reply, ApiFailure> {
        let auth = self.authorization.as_str();
        let sent = match method {
            Method::Get => self
                .agent
                .get(url)
                .header("Authorization", auth)
                .header("Accept", "application/json")
                .call(),
            Method::Delete => self
                .agent
                .delete(url)
                .header("Authorization", auth)
                .header("Accept", "application/json")
                .call(),
            Method::Post => self
                .agent
                .post(url)
                .header("Authorization", auth)
                .header("Accept", "application/json")
                .send_form(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        // Only the path is named: a search query could carry a filter, and a body never appears.
        let path = url.split('?').next().unwrap_or_default();
        let mut response =
            sent.map_err(|e| ApiFailure::Unavailable(format!("{method:?} {path} failed: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| {
                ApiFailure::Unavailable(format!("{method:?} {path}: cannot read the answer: {e}"))
            })?;
        Ok(Reply { status, body })
    }
}

/// `url?k=v&…`, form-encoded; `url` itself when there is no query.
pub fn with_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{url}?{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_hundreds_refuse_and_the_rest_is_transient() {
        assert!(matches!(
            ApiFailure::from_status(401, Some("Twilio error 20003: Authenticate".into())),
            ApiFailure::Refused(d) if d == "HTTP 401, Twilio error 20003: Authenticate"
        ));
        assert!(matches!(
            ApiFailure::from_status(429, None),
            ApiFailure::Unavailable(_)
        ));
        assert!(matches!(
            ApiFailure::from_status(503, None),
            ApiFailure::Unavailable(d) if d == "HTTP 503"
        ));
    }

    #[test]
    fn scrubbing_masks_numbers_but_keeps_error_codes() {
        assert_eq!(
            scrub_numbers("The 'To' number +14155550101 is not valid (21211)"),
            "The 'To' number +14*****0101 is not valid (21211)"
        );
        assert_eq!(
            scrub_numbers("call 09876500001 now"),
            "call 09*****0001 now"
        );
        assert_eq!(scrub_numbers("1+2=3"), "1+2=3");
        // Grouped the way people write numbers: still masked, whole.
        for grouped in [
            "+91 98765 00002",
            "+91-98765-00002",
            "(415) 555-0101",
            "98765.00002",
            "98765/00002",
            "98765,00002",
            "+91\u{a0}98765\u{a0}00002",
            "+91\u{202f}98765\u{2009}00002",
        ] {
            let scrubbed = scrub_numbers(&format!("Number {grouped} is busy"));
            assert!(
                !scrubbed.contains("98765") && !scrubbed.contains("555"),
                "{scrubbed}"
            );
            assert!(
                scrubbed.starts_with("Number ") && scrubbed.ends_with(" is busy"),
                "{scrubbed}"
            );
        }
        assert_eq!(scrub_numbers("code 21211: 3 tries"), "code 21211: 3 tries");
        assert_eq!(scrub_numbers(&"x".repeat(500)).len(), 300);
    }

    #[test]
    fn queries_are_form_encoded() {
        let query = vec![
            ("VoiceEnabled".to_string(), "true".to_string()),
            ("Contains".to_string(), "+91 80*".to_string()),
        ];
        assert_eq!(
            with_query("https://x/a.json", &query),
            "https://x/a.json?VoiceEnabled=true&Contains=%2B91+80*"
        );
        assert_eq!(with_query("https://x/a.json", &[]), "https://x/a.json");
    }

    #[test]
    fn debug_hides_the_credentials() {
        let client = ApiClient::new("AC1", "secret-token");
        assert!(!format!("{client:?}").contains("secret"));
    }
}
