//! What the operator CLI (`maskctl`) works through: the operator ports and the same wiring the
//! functions use, on the table and bus an operator names. Settings come from its flags, not from
//! the shell's environment, so a stray variable cannot change what a command does.

use std::sync::Arc;

use aws_config::SdkConfig;

use super::environment::aws_config_named;
use super::{table_on_aws, Ports, Wiring};
use crate::config::{Config, ConfigError};
use crate::ports::{KeyAudit, PoolAdmin, SealedValues};

pub struct OperatorTools {
    pub admin: Arc<dyn PoolAdmin>,
    pub keys: Arc<dyn KeyAudit>,
    /// The sealed numbers, for `maskctl keys reseal`.
    pub sealed: Arc<dyn SealedValues>,
    /// The use cases' wiring (failover, refill) with default settings; commands set what their
    /// flags say on `wiring.config`.
    pub wiring: Wiring,
}

impl OperatorTools {
    /// The AWS configuration under the name `maskctl`, for [`OperatorTools::on`].
    pub async fn aws() -> SdkConfig {
        aws_config_named("maskctl").await
    }

    /// The tools on `table`, announcing on `bus`.
    pub fn on(aws: &SdkConfig, table: &str, bus: &str) -> Result<OperatorTools, ConfigError> {
        let config = Config::from_lookup(|name| match name {
            "TABLE_NAME" => Some(table.to_string()),
            "EVENT_BUS_NAME" => Some(bus.to_string()),
            _ => None,
        })?;
        let store = table_on_aws(aws, table);
        Ok(OperatorTools {
            admin: store.clone(),
            keys: store.clone(),
            sealed: store.clone(),
            wiring: Wiring {
                config,
                ports: Ports::on_aws_table(aws, store, bus),
            },
        })
    }
}
