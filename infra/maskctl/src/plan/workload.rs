//! What a city's day looks like to the planner: the workload file (TOML), its checks, and the
//! flags that override it. Shares need not add up to one: they are weights, so `50/30/20` and
//! `0.5/0.3/0.2` mean the same.

use maskline::domain::Region;
use serde::{Deserialize, Serialize};

/// `RELEASE_GRACE_SECONDS` as deployed by default: numbers stay callable this long after delivery.
pub const DEFAULT_GRACE_MINUTES: f64 =
    maskline::config::DEFAULT_RELEASE_GRACE_SECONDS as f64 / 60.0;
/// How long a forming batch waits for more orders before its agent leaves with what it has.
pub const DEFAULT_BATCH_WAIT_MINUTES: f64 = 10.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Orders per hour for the whole city, midnight first: 24 values.
    pub orders_per_hour: Vec<f64>,
    /// From assignment to delivery; each order draws uniformly from mean ± spread.
    pub duration_minutes: Spread,
    /// Weights of dispatches carrying 1, 2, 3, ... orders at once (the first is single orders).
    pub batch_shares: Vec<f64>,
    #[serde(default = "default_batch_wait")]
    pub batch_wait_minutes: f64,
    /// The share of orders placed by a customer who already has an order open.
    #[serde(default)]
    pub repeat_customer_share: f64,
    /// What `RELEASE_GRACE_SECONDS` keeps numbers callable after delivery, in minutes.
    #[serde(default = "default_grace")]
    pub grace_minutes: f64,
    /// Each region runs its own pool; its share of the city's orders.
    pub regions: Vec<RegionShare>,
    /// Whether the deployment runs `BACKUP_NUMBERS=on`: picks which figure the plan recommends.
    #[serde(default)]
    pub backups: bool,
    pub number_price_per_month: f64,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    pub mean: f64,
    #[serde(default)]
    pub spread: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionShare {
    pub name: String,
    pub share: f64,
}

fn default_batch_wait() -> f64 {
    DEFAULT_BATCH_WAIT_MINUTES
}

fn default_grace() -> f64 {
    DEFAULT_GRACE_MINUTES
}

impl Workload {
    pub fn from_toml(text: &str) -> anyhow::Result<Workload> {
        let workload: Workload = toml::from_str(text)?;
        workload.check()?;
        Ok(workload)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a workload is plain data")
    }

    /// Refuses what the simulation cannot run; called after every override too.
    pub fn check(&self) -> anyhow::Result<()> {
        let weights = |what: &str, values: &[f64]| -> anyhow::Result<()> {
            anyhow::ensure!(
                values.iter().all(|v| v.is_finite() && *v >= 0.0)
                    && values.iter().sum::<f64>() > 0.0,
                "{what}: expected non-negative weights, not all zero"
            );
            Ok(())
        };
        anyhow::ensure!(
            self.orders_per_hour.len() == 24,
            "orders_per_hour: expected 24 values (midnight first), got {}",
            self.orders_per_hour.len()
        );
        weights("orders_per_hour", &self.orders_per_hour)?;
        weights("batch_shares", &self.batch_shares)?;
        let shares: Vec<f64> = self.regions.iter().map(|r| r.share).collect();
        weights("regions", &shares)?;
        for region in &self.regions {
            Region::parse(&region.name)
                .map_err(|e| anyhow::anyhow!("region {:?}: {e}", region.name))?;
        }
        let d = self.duration_minutes;
        anyhow::ensure!(
            d.mean.is_finite() && d.mean > 0.0 && d.spread.is_finite() && d.spread >= 0.0,
            "duration_minutes: expected mean > 0 and spread >= 0"
        );
        for (what, value) in [
            ("grace_minutes", self.grace_minutes),
            ("batch_wait_minutes", self.batch_wait_minutes),
            ("number_price_per_month", self.number_price_per_month),
        ] {
            anyhow::ensure!(value.is_finite() && value >= 0.0, "{what}: expected >= 0");
        }
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.repeat_customer_share),
            "repeat_customer_share: expected a share between 0 and 1"
        );
        Ok(())
    }

    pub fn orders_per_day(&self) -> f64 {
        self.orders_per_hour.iter().sum()
    }

    /// Each region's share of the city's orders, as fractions of one.
    pub fn region_fractions(&self) -> Vec<(Region, f64)> {
        let total: f64 = self.regions.iter().map(|r| r.share).sum();
        self.regions
            .iter()
            .map(|r| (Region::parse(&r.name).expect("checked"), r.share / total))
            .collect()
    }
}

/// `0.5,0.3,0.2` (commas or spaces).
pub fn parse_list(raw: &str) -> Result<Vec<f64>, String> {
    raw.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .map_err(|_| format!("{s:?} is not a number"))
        })
        .collect()
}

/// `central=0.5,east=0.3`.
pub fn parse_regions(raw: &str) -> Result<Vec<RegionShare>, String> {
    raw.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (name, share) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?}: expected region=share"))?;
            let share = share
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("{share:?} is not a number"))?;
            Ok(RegionShare {
                name: name.trim().to_string(),
                share,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::presets;

    #[test]
    fn a_workload_round_trips_through_toml() {
        for preset in presets::all() {
            let text = preset.workload.to_toml();
            assert_eq!(
                Workload::from_toml(&text).unwrap(),
                preset.workload,
                "{text}"
            );
        }
    }

    #[test]
    fn omitted_settings_take_their_defaults() {
        let text = format!(
            "orders_per_hour = [{}]\nduration_minutes = {{ mean = 30 }}\nbatch_shares = [1]\n\
             regions = [{{ name = \"central\", share = 1 }}]\n\
             number_price_per_month = 1.0\ncurrency = \"USD\"\n",
            ["10"; 24].join(", ")
        );
        let w = Workload::from_toml(&text).unwrap();
        assert_eq!(w.grace_minutes, 30.0);
        assert_eq!(w.batch_wait_minutes, DEFAULT_BATCH_WAIT_MINUTES);
        assert!(!w.backups);
        assert_eq!(w.orders_per_day(), 240.0);
    }

    #[test]
    fn a_malformed_workload_is_refused_with_the_field_named() {
        let mut w = presets::default_workload();
        w.orders_per_hour.pop();
        assert!(w
            .check()
            .unwrap_err()
            .to_string()
            .contains("orders_per_hour"));
        let mut w = presets::default_workload();
        w.regions[0].name = "a#b".into();
        assert!(w.check().unwrap_err().to_string().contains("region"));
        assert!(Workload::from_toml("orders_per_hour = [1]\nsurprise = 1").is_err());
    }

    #[test]
    fn lists_parse() {
        assert_eq!(parse_list("0.5, 0.3,0.2").unwrap(), vec![0.5, 0.3, 0.2]);
        assert!(parse_list("1,x").is_err());
        let regions = parse_regions("central=2,east=1").unwrap();
        assert_eq!((regions[1].name.as_str(), regions[1].share), ("east", 1.0));
        assert!(parse_regions("central").is_err());
    }
}
