//! The local stack as the walkthrough talks to it: the functions under `cargo lambda watch`
//! (Lambda Invoke API and lambda-url routes), the bus and the published queue on moto, and the
//! table on DynamoDB Local. Built once; every step borrows it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use aws_config::SdkConfig;
use maskline::app::OperatorTools;
use maskline::webhook_config::{WebhookConfig, WebhookSecrets};

use super::args::WalkthroughArgs;
use super::narrator::Narrator;
use super::settings::public_webhook_base;

/// The services the walkthrough writes to; each must be on this machine.
const LOCAL_ENDPOINTS: [&str; 3] = [
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SQS",
];

pub struct Stack {
    /// `http://127.0.0.1:<port>`, where `cargo lambda watch` listens.
    pub lambda: String,
    pub bus: String,
    pub run_dir: PathBuf,
    pub log_dir: PathBuf,
    pub deploying_doc: PathBuf,
    pub python: PathBuf,
    pub aws: SdkConfig,
    pub table: String,
    pub backups: bool,
    pub grace_seconds: String,
    pub say: Narrator,
    pub(super) events: aws_sdk_eventbridge::Client,
    pub(super) sqs: aws_sdk_sqs::Client,
    pub(super) http: ureq::Agent,
    pub(super) secrets: WebhookSecrets,
    /// The base the functions check signatures against (`PUBLIC_WEBHOOK_BASE_URL`).
    pub(super) public_base: String,
}

impl Stack {
    pub async fn connect(args: &WalkthroughArgs) -> anyhow::Result<Stack> {
        // The walkthrough creates sessions and puts events: it must never reach a real account.
        for name in LOCAL_ENDPOINTS {
            local_only(name, std::env::var(name).ok().as_deref())?;
        }
        local_only("--lambda", Some(&args.lambda))?;
        let webhooks = WebhookConfig::from_env().context("reading the webhook settings")?;
        let lambda = args.lambda.trim_end_matches('/').to_string();
        let public_base = webhooks
            .public_base_url
            .unwrap_or_else(|| public_webhook_base(&lambda));
        let aws = OperatorTools::aws().await;
        // A status is an answer to check, not an error; 90 s covers a function compiled on its
        // first invocation.
        let http = maskline::adapters::outbound_http::agent(Duration::from_secs(90));
        Ok(Stack {
            lambda,
            bus: args.event_bus.clone(),
            run_dir: args.run_dir.clone(),
            log_dir: args.log_dir.clone(),
            deploying_doc: args.deploying_doc.clone(),
            python: args.python.clone(),
            table: args.table.clone(),
            backups: args.backups.backups,
            grace_seconds: args.grace_seconds.clone(),
            say: Narrator,
            events: aws_sdk_eventbridge::Client::new(&aws),
            sqs: aws_sdk_sqs::Client::new(&aws),
            http,
            secrets: webhooks.secrets,
            public_base,
            aws,
        })
    }

    /// What maskctl's commands work through, on this run's table and bus.
    pub fn tools(&self) -> anyhow::Result<OperatorTools> {
        let mut tools = OperatorTools::on(&self.aws, &self.table, &self.bus)
            .context("the walkthrough's table or bus name")?;
        tools.wiring.config.backups = self.backups;
        Ok(tools)
    }

    /// Keeps a request or an answer for a later look (`events sent: <run dir>/`).
    pub fn keep(&self, name: &str, text: &str) -> anyhow::Result<()> {
        let path = self.run_dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }
}

fn local_only(name: &str, url: Option<&str>) -> anyhow::Result<()> {
    let url = url.unwrap_or_default().trim();
    if !["http://127.0.0.1:", "http://localhost:"]
        .iter()
        .any(|local| url.starts_with(local))
    {
        bail!(
            "{name} must point at a service on this machine (got {url:?}): the walkthrough runs \
             against the local stack only (make dev)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_services_on_this_machine_are_used() {
        assert!(local_only("X", Some("http://127.0.0.1:4566")).is_ok());
        assert!(local_only("X", Some("http://localhost:8000")).is_ok());
        for remote in [
            None,
            Some(""),
            Some("https://dynamodb.us-east-1.amazonaws.com"),
        ] {
            let err = local_only("AWS_ENDPOINT_URL_DYNAMODB", remote).unwrap_err();
            assert!(err.to_string().contains("on this machine"), "{err}");
        }
        // Not a prefix trick: the host must be the loopback itself.
        assert!(local_only("X", Some("http://127.0.0.1.example.com:80")).is_err());
    }
}
