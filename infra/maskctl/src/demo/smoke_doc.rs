//! docs/deploying.md's smoke test as the walkthrough's smoke step reads it: the fenced `sh` block
//! under "5. Smoke test", taken from the file at run time so that the doc and its test cannot
//! drift; the placeholders a deployer fills; and the `maskctl call` line the block promises. Pure,
//! so that each of these is tested on its own.

use anyhow::{bail, ensure, Context};

pub const HEADING: &str = "## 5. Smoke test";
/// The places the doc asks a deployer to fill, exactly as it prints them.
pub const STACK_PLACEHOLDER: &str = "STACK=maskline\n";
pub const TOKEN_PLACEHOLDER: &str = "TWILIO_AUTH_TOKEN=...";

/// The first ```` ```sh ```` block of the section `heading`, without its fences.
pub fn block_under(doc: &str, heading: &str) -> anyhow::Result<String> {
    let mut lines = doc
        .lines()
        .skip_while(|line| line.trim_end() != heading)
        .skip(1);
    // Up to the fence, a heading ends the section (inside it, `#` starts a shell comment).
    lines
        .by_ref()
        .take_while(|line| !line.starts_with('#'))
        .find(|line| line.trim_end() == "```sh")
        .with_context(|| format!("no ```sh block under {heading:?}"))?;
    let mut block = String::new();
    for line in lines {
        if line.trim_end() == "```" {
            return Ok(block);
        }
        block.push_str(line);
        block.push('\n');
    }
    bail!("the ```sh block under {heading:?} is never closed")
}

/// `block` with the one place a deployer fills in (`placeholder`) filled with `value`. Exactly one:
/// a placeholder the doc no longer prints, or prints twice, is a change to look at.
pub fn fill(block: &str, placeholder: &str, value: &str) -> anyhow::Result<String> {
    let found = block.matches(placeholder).count();
    ensure!(
        found == 1,
        "expected the placeholder {placeholder:?} once in the smoke test, found it {found} times"
    );
    Ok(block.replace(placeholder, value))
}

/// A line `maskctl call` prints for a connected call:
/// `twilio: <caller, masked> dials <VN> -> rings <callee, masked> showing caller ID <VN>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLine {
    pub provider: String,
    pub from: String,
    pub dials: String,
    pub rings: String,
    pub shows: String,
}

impl CallLine {
    pub fn parse(line: &str) -> Option<CallLine> {
        let (provider, rest) = line.trim().split_once(": ")?;
        let (from, rest) = rest.split_once(" dials ")?;
        let (dials, rest) = rest.split_once(" -> rings ")?;
        let (rings, shows) = rest.split_once(" showing caller ID ")?;
        Some(CallLine {
            provider: provider.into(),
            from: from.into(),
            dials: dials.into(),
            rings: rings.into(),
            shows: shows.into(),
        })
    }

    /// The last call line in `text` (the block's output).
    pub fn last_in(text: &str) -> Option<CallLine> {
        text.lines().rev().find_map(CallLine::parse)
    }

    /// The line the block promises as a comment (`#   twilio: ...`), its last one.
    pub fn promised_by(block: &str) -> anyhow::Result<CallLine> {
        block
            .lines()
            .rev()
            .filter_map(|line| line.trim_start().strip_prefix('#'))
            .find_map(CallLine::parse)
            .context("the smoke test shows no `maskctl call` output line (`#   twilio: ...`)")
    }
}

impl std::fmt::Display for CallLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} dials {} -> rings {} showing caller ID {}",
            self.provider, self.from, self.dials, self.rings, self.shows
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Deploying\n\n## 4. Before\n\n```sh\nnot this\n```\n\n## 5. Smoke test\n\n\
        Text.\n\n```sh\nSTACK=maskline\nTWILIO_AUTH_TOKEN=... maskctl call\n\
        #   twilio: +14*****0101 dials +14155550100 -> rings +14*****0102 showing caller ID \
        +14155550103\n```\n\n```sh\nnor this\n```\n\n## 6. After\n";

    #[test]
    fn the_block_is_the_first_sh_fence_of_its_section() {
        let block = block_under(DOC, HEADING).unwrap();
        assert!(block.starts_with("STACK=maskline\n"), "{block}");
        assert!(block.ends_with("+14155550103\n"), "{block}");
        assert!(!block.contains("not this") && !block.contains("nor this"));
    }

    #[test]
    fn a_missing_section_block_or_fence_end_is_an_error() {
        let no_section = DOC.replace("## 5. Smoke test", "## 5. Smoke tests");
        assert!(block_under(&no_section, HEADING).is_err());
        // A fence after the next heading belongs to another section.
        let no_block = "## 5. Smoke test\n\ntext\n\n## 6. After\n\n```sh\nx\n```\n";
        assert!(block_under(no_block, HEADING).is_err());
        let open = "## 5. Smoke test\n\n```sh\nx\n";
        assert!(block_under(open, HEADING).is_err());
    }

    #[test]
    fn each_placeholder_is_filled_exactly_once() {
        let block = block_under(DOC, HEADING).unwrap();
        let filled = fill(&block, "STACK=maskline\n", "STACK=local\n").unwrap();
        assert!(filled.starts_with("STACK=local\n"));
        assert!(fill(&block, "STACK=prod\n", "x").is_err());
        assert!(fill("A=... A=...", "A=...", "A=1").is_err());
    }

    #[test]
    fn the_deploy_guide_has_a_block_to_run_its_placeholders_and_its_promise() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/deploying.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let block = block_under(&doc, HEADING).unwrap();
        let filled = fill(&block, STACK_PLACEHOLDER, "STACK=local\n").unwrap();
        fill(&filled, TOKEN_PLACEHOLDER, "TWILIO_AUTH_TOKEN=t").unwrap();
        let promised = CallLine::promised_by(&block).unwrap();
        assert_eq!(promised.provider, "twilio");
    }

    #[test]
    fn the_promised_line_and_the_printed_line_read_alike() {
        let block = block_under(DOC, HEADING).unwrap();
        let promised = CallLine::promised_by(&block).unwrap();
        assert_eq!(promised.dials, "+14155550100");
        assert_eq!(promised.rings, "+14*****0102");
        assert_eq!(promised.shows, "+14155550103");
        let printed = format!("added ...\nsome: thing\n{promised}\n");
        assert_eq!(CallLine::last_in(&printed), Some(promised));
        assert_eq!(
            CallLine::last_in("twilio: +14*****0101 dials +1 -> out of session"),
            None
        );
        assert!(CallLine::promised_by("maskctl call\n").is_err());
    }
}
