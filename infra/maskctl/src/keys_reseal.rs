//! `maskctl keys reseal`: every stored number rewritten as `v3.` under the current encryption
//! key (`maskline::services::reseal`), the counts printed by format; never a number.

use std::sync::Arc;

use anyhow::Context;
use maskline::ports::SealedValues;
use maskline::privacy::SealKeys;
use maskline::services::Resealer;

pub async fn run(
    store: Arc<dyn SealedValues>,
    encryption_keys: &str,
    json: bool,
) -> anyhow::Result<()> {
    let keys = SealKeys::from_base64(encryption_keys).context("NUMBER_ENCRYPTION_KEY")?;
    let report = Resealer { store, keys }.run().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    let unopenable: u64 = report.by_format.values().map(|c| c.unopenable).sum();
    if unopenable > 0 {
        // Said in the report; the exit status lets a script stop before retiring anything.
        anyhow::bail!("{unopenable} sealed numbers could not be opened");
    }
    Ok(())
}
