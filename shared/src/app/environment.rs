//! What a function starts from: its name, the AWS configuration and its settings (environment plus
//! the secrets `SECRET_IDS` names), read once per execution environment.

use aws_config::{AppName, SdkConfig};

use crate::adapters::settings::Settings;
use crate::adapters::sqs_batch::Redelivery;
use crate::config::Config;
use crate::startup::or_exit;

use super::{Ports, Wiring};

pub struct Environment {
    /// The function's name as the template deploys it (`allocate-numbers`, ...).
    pub function: &'static str,
    pub aws: SdkConfig,
    pub settings: Settings,
}

impl Environment {
    /// Loads the AWS configuration under the function's name and the function's settings; a
    /// setting or secret that cannot be read stops the process with one line saying why.
    pub async fn load(function: &'static str) -> Environment {
        let aws = aws_config_named(function).await;
        let settings = or_exit(Settings::load(&aws).await);
        Environment {
            function,
            aws,
            settings,
        }
    }

    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        self.settings.lookup()
    }

    /// The shared settings checked, and every port on AWS.
    pub fn wiring(&self) -> Wiring {
        let config = or_exit(Config::from_lookup(self.lookup()));
        Wiring {
            ports: Ports::on_aws(&self.aws, &config),
            config,
        }
    }

    /// How a queue-fed function hands back a message it cannot take yet (`QUEUE_URL`,
    /// `DEAD_LETTER_QUEUE_URL`).
    pub fn redelivery(&self) -> Redelivery {
        Redelivery::from_env(aws_sdk_sqs::Client::new(&self.aws))
    }
}

/// The standard AWS configuration (local endpoints come from `AWS_ENDPOINT_URL_DYNAMODB` and
/// friends, which the SDK reads itself), with `function` as the app name of every client.
pub async fn aws_config_named(function: &'static str) -> SdkConfig {
    let loader = aws_config::from_env();
    match AppName::new(function) {
        Ok(name) => loader.app_name(name).load().await,
        // A name the SDK refuses only loses the tag, never the function.
        Err(_) => loader.load().await,
    }
}
