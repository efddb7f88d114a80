//! The secret URL token for providers that sign nothing (Exotel) or not always (Vonage's answer
//! URL): the console is given `.../voice?token=SECRET`.

use subtle::ConstantTimeEq;

use super::{AuthError, WebhookRequest};

pub const TOKEN_PARAM: &str = "token";

/// Constant-time check of the `token` query parameter against `expected`.
pub fn verify(request: &WebhookRequest, expected: &str) -> Result<(), AuthError> {
    let presented = request
        .query_params()
        .into_iter()
        .find(|(k, _)| k == TOKEN_PARAM)
        .map(|(_, v)| v)
        .ok_or(AuthError::BadToken)?;
    if expected.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(AuthError::BadToken);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::HttpMethod;

    fn request(url: &str) -> WebhookRequest {
        WebhookRequest {
            method: HttpMethod::Get,
            url: url.into(),
            headers: Default::default(),
            body: Vec::new(),
        }
    }

    #[test]
    fn accepts_only_the_exact_token() {
        let ok = request("https://x/webhooks/exotel/voice?CallSid=1&token=s3cret");
        assert_eq!(verify(&ok, "s3cret"), Ok(()));
        assert_eq!(verify(&ok, "s3cre"), Err(AuthError::BadToken));
        assert_eq!(
            verify(&request("https://x/voice?CallSid=1"), "s3cret"),
            Err(AuthError::BadToken)
        );
        assert_eq!(
            verify(&request("https://x/voice?token="), ""),
            Err(AuthError::BadToken)
        );
    }
}
