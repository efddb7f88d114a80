//! How the smoke step runs docs/deploying.md's block on this machine: bash, with a directory put
//! first on its PATH that holds a stand-in `aws` (stand_in_aws.py: the calls the block makes,
//! answered from the local stack, anything else refused) and this very maskctl; and with only what
//! a deployer's shell would have, so that the block must set every variable it uses itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::json;

const STAND_IN_AWS: &str = include_str!("stand_in_aws.py");

/// What the stand-in `aws` answers: the local stack as `describe-stacks` would describe it.
pub struct LocalStack<'a> {
    pub name: &'a str,
    pub table: &'a str,
    /// Where `maskctl call --url` reaches resolve-call (on AWS, the API serving every route).
    pub api_url: &'a str,
    pub bus: &'a str,
}

/// The block's run: its exit code (none when killed) and stdout and stderr as they interleaved.
pub struct Ran {
    pub code: Option<i32>,
    pub output: String,
}

/// Writes `dir/bin/aws` (run by `python`, which must have boto3) and `dir/bin/maskctl`, and
/// returns `dir/bin`.
pub fn prepare(dir: &Path, python: &Path, stack: &LocalStack) -> anyhow::Result<PathBuf> {
    let python = std::path::absolute(python)?;
    if !python.is_file() {
        bail!(
            "the stand-in aws runs with {} (boto3), which is missing: run infra/local/install.sh",
            python.display()
        );
    }
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("creating {}", bin.display()))?;
    let answers = json!({
        "stack": stack.name,
        "outputs": {"TableName": stack.table, "ApiUrl": stack.api_url},
        "parameters": {"OrderEventBusName": stack.bus},
        "bus": stack.bus,
    });
    write(&bin.join("stand-in.json"), &answers.to_string())?;
    let aws = format!("#!{}\n{STAND_IN_AWS}", python.display());
    write(&bin.join("aws"), &aws)?;
    executable(&bin.join("aws"))?;
    // A copy of the running binary, not a link to target/: a build finishing meanwhile could
    // replace that file, and the block must run the maskctl this walkthrough is.
    let running = Path::new("/proc/self/exe");
    let me = if running.exists() {
        running.to_path_buf()
    } else {
        std::env::current_exe().context("finding the running maskctl")?
    };
    std::fs::copy(&me, bin.join("maskctl"))
        .with_context(|| format!("copying {} to {}", me.display(), bin.display()))?;
    Ok(bin)
}

/// Runs `script` (kept as `dir/block.sh`, its output as `dir/output.txt`) with `bash -eu -o
/// pipefail`: any failing command fails the smoke test, as a deployer would see it fail. Killed,
/// with everything it started, after `limit`.
pub async fn run(dir: &Path, bin: &Path, script: &str, limit: Duration) -> anyhow::Result<Ran> {
    let script_path = dir.join("block.sh");
    write(&script_path, script)?;
    let out_path = dir.join("output.txt");
    let out = std::fs::File::create(&out_path)
        .with_context(|| format!("creating {}", out_path.display()))?;
    let mut command = Command::new("bash");
    command
        .args(["-eu", "-o", "pipefail"])
        .arg(&script_path)
        .env_clear()
        .envs(deployers_env(bin))
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    // A group of its own, so that a block still running at the limit is stopped whole.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().context("starting bash")?;
    let deadline = tokio::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let output = std::fs::read_to_string(&out_path)
        .with_context(|| format!("reading {}", out_path.display()))?;
    Ok(Ran {
        code: status.and_then(|s| s.code()),
        output,
    })
}

/// PATH with the stand-ins first, the AWS settings (here the local endpoints and dummy
/// credentials, where a deployer has a configured CLI) and the shell's basics; never Maskline's
/// own settings (TABLE_NAME, TWILIO_AUTH_TOKEN, ...), which the walkthrough runs with.
fn deployers_env(bin: &Path) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut env = vec![("PATH".to_string(), format!("{}:{path}", bin.display()))];
    env.extend(std::env::vars().filter(|(name, _)| {
        name.starts_with("AWS_") || ["HOME", "USER", "LANG", "LC_ALL", "TMPDIR"].contains(&&**name)
    }));
    env
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_sees_the_aws_settings_but_not_maskline_s() {
        // Read, not set: the test process's own environment is shared by every test.
        let env = deployers_env(Path::new("/x/bin"));
        let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
        assert!(env[0].1.starts_with("/x/bin:"), "{:?}", env[0]);
        for hidden in [
            "TABLE_NAME",
            "TWILIO_AUTH_TOKEN",
            "EVENT_BUS_NAME",
            "NUMBER_HASH_KEY",
        ] {
            assert!(!names.contains(&hidden), "{names:?}");
        }
        assert!(names.iter().all(|n| *n == "PATH"
            || n.starts_with("AWS_")
            || ["HOME", "USER", "LANG", "LC_ALL", "TMPDIR"].contains(n)));
    }
}
