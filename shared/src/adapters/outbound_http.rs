//! The one way this code base makes an outbound HTTP client (provider APIs, and maskctl's calls to
//! the local stack): ureq on the same rustls as the AWS SDK, with the SDK's crypto provider
//! (aws-lc-rs) handed over explicitly, so no second TLS stack or crypto library is linked.

use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{TlsConfig, TlsProvider};

/// A blocking client that returns every HTTP status as an answer (callers decide what a 404
/// means) and gives up after `timeout` in all.
pub fn agent(timeout: Duration) -> ureq::Agent {
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(
            TlsConfig::builder()
                .provider(TlsProvider::Rustls)
                .unversioned_rustls_crypto_provider(crypto)
                .build(),
        )
        .build()
        .new_agent()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ureq without its `rustls` feature panics on the first TLS handshake unless it is given a
    /// provider: this one is built (the handshake itself needs a server, which a unit test has
    /// not), and ureq's TLS settings name aws-lc-rs.
    #[test]
    fn the_agent_carries_the_sdks_crypto_provider() {
        let agent = agent(Duration::from_secs(1));
        let tls = agent.config().tls_config();
        assert_eq!(tls.provider(), TlsProvider::Rustls);
        let provider = tls
            .unversioned_rustls_crypto_provider()
            .as_ref()
            .expect("a crypto provider is set");
        let aws_lc = rustls::crypto::aws_lc_rs::default_provider();
        assert_eq!(
            provider.cipher_suites.len(),
            aws_lc.cipher_suites.len(),
            "the provider is aws-lc-rs's"
        );
    }
}
