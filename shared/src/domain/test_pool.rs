//! Made-up pools for the domain's unit tests.

use super::policy::Candidates;
use super::{Operator, VirtualNumber};

/// The i-th made-up VN.
pub fn vn(i: u32) -> VirtualNumber {
    VirtualNumber::parse(&format!("+9180410000{i:02}"), None).unwrap()
}

/// VNs 1..=n on airtel and n+1..=2n on jio.
pub fn two_operators(n: u32) -> Candidates {
    Candidates::new(
        (1..=2 * n)
            .map(|i| {
                let op = if i <= n { "airtel" } else { "jio" };
                (vn(i), Operator::parse(op).unwrap())
            })
            .collect(),
    )
}
