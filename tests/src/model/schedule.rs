//! The seeded schedule generator: batches of concurrent operations and clock jumps over a small
//! pool and a few hot participants (every customer and agent is in several orders).
//!
//! The schedule is drawn from the seed alone, before anything runs, so a seed names the same
//! schedule on every machine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::keys::KeyList;
use crate::world::{GRACE_SECONDS, SESSION_MAX_SECONDS};

/// The pool every schedule starts with (see [`crate::model::runner`]): VNs 1..=4 static airtel
/// (the refill target's), 5..=6 on Twilio (health reports arrive by webhook), 7 static on standby.
pub const STATIC_ACTIVE: std::ops::RangeInclusive<u32> = 1..=4;
pub const TWILIO_ACTIVE: std::ops::RangeInclusive<u32> = 5..=6;
pub const STANDBY: u32 = 7;
pub const ALL_VNS: std::ops::RangeInclusive<u32> = 1..=7;
/// Hot participants: customers 1..=3 and agents 1..=3 share every order between them.
pub const CUSTOMERS: u32 = 3;
pub const DRIVERS: u32 = 3;
/// Orders the generator keeps acting on (the most recent ones).
const RECENT: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The first DriverAssigned of an order.
    Assign,
    /// A DriverAssigned naming another agent, with the next `sequence`.
    AgentChange,
    /// The latest DriverAssigned again.
    Redelivery,
    /// An earlier DriverAssigned again, after a newer one (late and out of order).
    LateRedelivery,
    /// OrderDelivered / OrderCancelled.
    Release,
    /// OrderCancelled of an order not assigned yet (its DriverAssigned may come later).
    CancelBeforeAssign,
    /// An order end again.
    ReleaseRedelivery,
    /// A signed number-health webhook (Twilio numbers).
    UnhealthyWebhook,
    /// The failover use case directly (any number).
    UnhealthyFailover,
    MarkHealthy,
    /// A refill run of the region: activates standby numbers, gives back idle surplus.
    Refill,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Assign => "assign",
            Kind::AgentChange => "agent change",
            Kind::Redelivery => "redelivery",
            Kind::LateRedelivery => "late redelivery",
            Kind::Release => "release",
            Kind::CancelBeforeAssign => "cancel before assign",
            Kind::ReleaseRedelivery => "release redelivery",
            Kind::UnhealthyWebhook => "unhealthy (webhook)",
            Kind::UnhealthyFailover => "unhealthy (failover)",
            Kind::MarkHealthy => "healthy again",
            Kind::Refill => "refill",
        }
    }
}

/// One operation. Times (`at`) are seconds since the schedule's start, on its clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Assign {
        kind: Kind,
        order: u32,
        customer: u32,
        driver: u32,
        seq: u64,
        at: i64,
    },
    End {
        kind: Kind,
        order: u32,
        delivered: bool,
        at: i64,
    },
    Unhealthy {
        vn: u32,
        webhook: bool,
    },
    Healthy {
        vn: u32,
    },
    Refill,
}

impl Op {
    pub fn kind(&self) -> Kind {
        match self {
            Op::Assign { kind, .. } | Op::End { kind, .. } => *kind,
            Op::Unhealthy { webhook: true, .. } => Kind::UnhealthyWebhook,
            Op::Unhealthy { .. } => Kind::UnhealthyFailover,
            Op::Healthy { .. } => Kind::MarkHealthy,
            Op::Refill => Kind::Refill,
        }
    }

    pub fn order(&self) -> Option<u32> {
        match self {
            Op::Assign { order, .. } | Op::End { order, .. } => Some(*order),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Operations started together (one concurrent batch).
    Batch(Vec<Op>),
    /// The clock moves forward this many seconds.
    Advance { seconds: i64, label: &'static str },
    /// Every function is deployed with these number keys from now on.
    Keys { list: KeyList, label: &'static str },
}

pub fn order_id(order: u32) -> String {
    format!("ORD-{order}")
}

/// What the generator remembers of one order's events.
#[derive(Debug, Clone)]
struct OrderPlan {
    customer: u32,
    /// (driver, seq, at) of every DriverAssigned sent.
    assigned: Vec<(u32, u64, i64)>,
    /// (delivered, at) of every end sent.
    ended: Vec<(bool, i64)>,
}

struct Generator {
    rng: StdRng,
    max_batch: usize,
    orders: Vec<OrderPlan>,
    clock: i64,
    keys: KeyList,
    /// When the current key was put first (the old one may go a session lifetime later).
    current_since: i64,
}

/// The schedule of `steps` steps drawn from `seed`, batches of up to `max_batch` operations.
pub fn generate(seed: u64, steps: usize, max_batch: usize) -> Vec<Step> {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        max_batch: max_batch.max(1),
        orders: Vec::new(),
        clock: 0,
        keys: KeyList::initial(),
        current_since: 0,
    };
    (0..steps).map(|_| generator.step()).collect()
}

impl Generator {
    fn step(&mut self) -> Step {
        if let Some(step) = self.key_step() {
            return step;
        }
        if !self.orders.is_empty() && self.rng.gen_bool(0.12) {
            let (seconds, label) = match self.rng.gen_range(0..20) {
                0..=9 => (self.rng.gen_range(30..600), "jump: minutes"),
                10..=14 => (GRACE_SECONDS + 60, "jump: past grace"),
                15..=17 => (self.rng.gen_range(3700..7200), "jump: past refill cool-off"),
                _ => (SESSION_MAX_SECONDS + 60, "jump: past session expiry"),
            };
            self.clock += seconds;
            return Step::Advance { seconds, label };
        }
        let size = match self.rng.gen_range(0..10) {
            0..=1 => 1,
            2..=4 => 2,
            5..=7 => 3,
            _ => self.rng.gen_range(4..=self.max_batch.max(4)),
        }
        .min(self.max_batch);
        Step::Batch((0..size).map(|_| self.op()).collect())
    }

    /// The next stage of a key rotation, now and then: `[k]` → (sometimes `[k, k+1]`, the new
    /// key listed second) → `[k+1, k]` → `[k+1]` once nothing written under `k` can be live.
    fn key_step(&mut self) -> Option<Step> {
        if self.orders.is_empty() {
            return None;
        }
        let listed = self.keys.0.clone();
        let lifetime_over = self.clock - self.current_since > SESSION_MAX_SECONDS + GRACE_SECONDS;
        let (next, label) = match *listed.as_slice() {
            [k] if self.rng.gen_bool(0.04) => {
                if self.rng.gen_bool(0.3) {
                    (vec![k, k + 1], "keys: new one listed second")
                } else {
                    (vec![k + 1, k], "keys: rotated")
                }
            }
            [k, newer] if newer > k && self.rng.gen_bool(0.2) => (vec![newer, k], "keys: rotated"),
            [k, older] if k > older && lifetime_over && self.rng.gen_bool(0.3) => {
                (vec![k], "keys: old one dropped")
            }
            _ => return None,
        };
        if next[0] != listed[0] {
            self.current_since = self.clock;
        }
        self.keys = KeyList(next.clone());
        Some(Step::Keys {
            list: KeyList(next),
            label,
        })
    }

    fn recent(&mut self) -> Option<u32> {
        if self.orders.is_empty() {
            return None;
        }
        let from = self.orders.len().saturating_sub(RECENT);
        Some(self.rng.gen_range(from..self.orders.len()) as u32 + 1)
    }

    fn new_order(&mut self) -> u32 {
        let customer = self.rng.gen_range(1..=CUSTOMERS);
        self.orders.push(OrderPlan {
            customer,
            assigned: Vec::new(),
            ended: Vec::new(),
        });
        self.orders.len() as u32
    }

    fn plan(&mut self, order: u32) -> &mut OrderPlan {
        &mut self.orders[order as usize - 1]
    }

    fn assign(&mut self, kind: Kind, order: u32, driver: u32) -> Op {
        let at = self.clock;
        let plan = self.plan(order);
        let seq = plan.assigned.iter().map(|a| a.1).max().unwrap_or(0) + 1;
        plan.assigned.push((driver, seq, at));
        Op::Assign {
            kind,
            order,
            customer: plan.customer,
            driver,
            seq,
            at,
        }
    }

    fn op(&mut self) -> Op {
        let roll = self.rng.gen_range(0..100);
        let recent = self.recent();
        match (roll, recent) {
            // A new order, or the first assignment of one cancelled before it was assigned.
            (0..=27, _) | (_, None) => {
                let unassigned = (1..=self.orders.len() as u32)
                    .rev()
                    .take(RECENT)
                    .find(|o| self.orders[*o as usize - 1].assigned.is_empty());
                let order = match unassigned {
                    Some(o) if self.rng.gen_bool(0.5) => o,
                    _ => self.new_order(),
                };
                let driver = self.rng.gen_range(1..=DRIVERS);
                self.assign(Kind::Assign, order, driver)
            }
            (28..=41 | 92..=99, Some(order)) => {
                let last = self.plan(order).assigned.last().map(|a| a.0);
                let Some(last) = last else {
                    let driver = self.rng.gen_range(1..=DRIVERS);
                    return self.assign(Kind::Assign, order, driver);
                };
                let driver = (last + self.rng.gen_range(1..DRIVERS) - 1) % DRIVERS + 1;
                self.assign(Kind::AgentChange, order, driver)
            }
            (42..=53, Some(order)) => {
                let plan = self.orders[order as usize - 1].clone();
                if plan.assigned.is_empty() {
                    let driver = self.rng.gen_range(1..=DRIVERS);
                    return self.assign(Kind::Assign, order, driver);
                }
                let pick = self.rng.gen_range(0..plan.assigned.len());
                let (driver, seq, at) = plan.assigned[pick];
                let kind = if pick + 1 == plan.assigned.len() {
                    Kind::Redelivery
                } else {
                    Kind::LateRedelivery
                };
                Op::Assign {
                    kind,
                    order,
                    customer: plan.customer,
                    driver,
                    seq,
                    at,
                }
            }
            (54..=63, Some(order)) => {
                let delivered = self.rng.gen_bool(0.6);
                let at = self.clock;
                self.plan(order).ended.push((delivered, at));
                Op::End {
                    kind: Kind::Release,
                    order,
                    delivered,
                    at,
                }
            }
            (64..=66, Some(_)) => {
                let order = self.new_order();
                let at = self.clock;
                self.plan(order).ended.push((false, at));
                Op::End {
                    kind: Kind::CancelBeforeAssign,
                    order,
                    delivered: false,
                    at,
                }
            }
            (67..=68, Some(order)) => {
                let ended = self.orders[order as usize - 1].ended.clone();
                match ended.get(self.rng.gen_range(0..ended.len().max(1))) {
                    Some(&(delivered, at)) => Op::End {
                        kind: Kind::ReleaseRedelivery,
                        order,
                        delivered,
                        at,
                    },
                    None => Op::Refill,
                }
            }
            (69..=74, Some(_)) => {
                let webhook = self.rng.gen_bool(0.5);
                let vn = if webhook {
                    self.rng.gen_range(TWILIO_ACTIVE)
                } else {
                    self.rng.gen_range(ALL_VNS)
                };
                Op::Unhealthy { vn, webhook }
            }
            (75..=84, Some(_)) => Op::Healthy {
                vn: self.rng.gen_range(ALL_VNS),
            },
            _ => Op::Refill,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_one_schedule() {
        assert_eq!(generate(7, 40, 4), generate(7, 40, 4));
        assert_ne!(generate(7, 40, 4), generate(8, 40, 4));
    }
}
