//! One region's day as a discrete-event simulation: orders arrive hour by hour, wait briefly to
//! be batched, and are dispatched together to a free agent; each order's session lives from that
//! assignment until delivery plus the grace window. The result is the list of sessions, which
//! every allocation policy then replays, so the policies are compared on the very same day.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::StdRng;
use rand::Rng;

use super::workload::Workload;

/// Seconds since midnight.
pub type Instant = u32;

/// One order's session as the day produced it. Customers and agents are numbered separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSession {
    pub customer: u32,
    pub agent: u32,
    pub assigned_at: Instant,
    /// Delivery plus grace: the numbers are held until then.
    pub live_until: Instant,
}

/// The sessions of one region whose share of the city's orders is `share`.
pub fn simulate_day(workload: &Workload, share: f64, rng: &mut StdRng) -> Vec<PlannedSession> {
    let arrivals = arrivals(&workload.orders_per_hour, share, rng);
    let mut day = Day::new(workload, rng);
    for at in arrivals {
        day.order_arrives(at);
    }
    day.finish()
}

/// Arrival instants, sorted: each hour gets its expected count (the fraction decided by a coin)
/// spread uniformly over the hour.
fn arrivals(orders_per_hour: &[f64], share: f64, rng: &mut StdRng) -> Vec<Instant> {
    let mut at = Vec::new();
    for (hour, rate) in orders_per_hour.iter().enumerate() {
        let expected = rate * share;
        let count = expected.floor() as u32 + u32::from(rng.gen::<f64>() < expected.fract());
        let start = hour as u32 * 3600;
        at.extend((0..count).map(|_| start + rng.gen_range(0..3600)));
    }
    at.sort_unstable();
    at
}

/// What happens later, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Later {
    Delivered { customer: u32 },
    AgentFree { agent: u32 },
}

/// Orders waiting for their batch to fill (or for the wait to run out).
struct Forming {
    target: usize,
    customers: Vec<u32>,
    leaves_at: Instant,
}

struct Day<'a> {
    workload: &'a Workload,
    rng: &'a mut StdRng,
    sessions: Vec<PlannedSession>,
    later: BinaryHeap<Reverse<(Instant, Later)>>,
    /// Customers with an undelivered order, once per order.
    open_customers: Vec<u32>,
    /// Agents ready for a batch, the longest idle first. The fleet grows whenever none is free,
    /// so it ends up as large as the busiest hour needs.
    free_agents: VecDeque<u32>,
    agents: u32,
    customers: u32,
    forming: Option<Forming>,
}

impl<'a> Day<'a> {
    fn new(workload: &'a Workload, rng: &'a mut StdRng) -> Self {
        Day {
            workload,
            rng,
            sessions: Vec::new(),
            later: BinaryHeap::new(),
            open_customers: Vec::new(),
            free_agents: VecDeque::new(),
            agents: 0,
            customers: 0,
            forming: None,
        }
    }

    fn order_arrives(&mut self, at: Instant) {
        if let Some(leaves_at) = self.forming.as_ref().map(|f| f.leaves_at) {
            if leaves_at <= at {
                self.advance_to(leaves_at);
                self.dispatch(leaves_at);
            }
        }
        self.advance_to(at);
        let customer = self.customer_for_new_order();
        self.open_customers.push(customer);
        let wait = minutes(self.workload.batch_wait_minutes);
        let target = self.batch_size();
        let forming = self.forming.get_or_insert_with(|| Forming {
            target,
            customers: Vec::new(),
            leaves_at: at + wait,
        });
        forming.customers.push(customer);
        if forming.customers.len() >= forming.target {
            self.dispatch(at);
        }
    }

    fn finish(mut self) -> Vec<PlannedSession> {
        if let Some(leaves_at) = self.forming.as_ref().map(|f| f.leaves_at) {
            self.advance_to(leaves_at);
            self.dispatch(leaves_at);
        }
        self.sessions
    }

    /// Settles everything that happens up to `now`.
    fn advance_to(&mut self, now: Instant) {
        while let Some(Reverse((at, what))) = self.later.peek().copied() {
            if at > now {
                break;
            }
            self.later.pop();
            match what {
                Later::Delivered { customer } => {
                    if let Some(i) = self.open_customers.iter().position(|c| *c == customer) {
                        self.open_customers.swap_remove(i);
                    }
                }
                Later::AgentFree { agent } => self.free_agents.push_back(agent),
            }
        }
    }

    /// A customer who already has an order open (as often as the workload says), or a new one.
    fn customer_for_new_order(&mut self) -> u32 {
        if !self.open_customers.is_empty() && self.rng.gen_bool(self.workload.repeat_customer_share)
        {
            let i = self.rng.gen_range(0..self.open_customers.len());
            return self.open_customers[i];
        }
        self.customers += 1;
        self.customers
    }

    /// How many orders the next dispatch waits for, drawn from the batch shares.
    fn batch_size(&mut self) -> usize {
        let shares = &self.workload.batch_shares;
        let mut left = self.rng.gen::<f64>() * shares.iter().sum::<f64>();
        for (i, share) in shares.iter().enumerate() {
            if left < *share {
                return i + 1;
            }
            left -= share;
        }
        shares.len()
    }

    /// The forming batch leaves now with a free agent; each order gets its own delivery time.
    fn dispatch(&mut self, now: Instant) {
        let Some(batch) = self.forming.take() else {
            return;
        };
        let agent = self.free_agents.pop_front().unwrap_or_else(|| {
            self.agents += 1;
            self.agents
        });
        let grace = minutes(self.workload.grace_minutes);
        let mut back_at = now;
        for customer in batch.customers {
            let delivered = now + self.duration();
            back_at = back_at.max(delivered);
            self.later
                .push(Reverse((delivered, Later::Delivered { customer })));
            self.sessions.push(PlannedSession {
                customer,
                agent,
                assigned_at: now,
                live_until: delivered + grace,
            });
        }
        self.later
            .push(Reverse((back_at, Later::AgentFree { agent })));
    }

    /// Assignment to delivery: uniform over mean ± spread, at least a minute.
    fn duration(&mut self) -> Instant {
        let d = self.workload.duration_minutes;
        let drawn = d.mean + d.spread * (2.0 * self.rng.gen::<f64>() - 1.0);
        minutes(drawn.max(1.0))
    }
}

fn minutes(m: f64) -> Instant {
    (m * 60.0).round() as Instant
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::presets;
    use rand::SeedableRng;

    #[test]
    fn the_day_has_the_workloads_volume_and_batches() {
        let mut w = presets::default_workload();
        w.batch_shares = vec![0.0, 0.0, 1.0];
        let sessions = simulate_day(&w, 0.1, &mut StdRng::seed_from_u64(1));
        let expected = w.orders_per_day() * 0.1;
        assert!(
            (sessions.len() as f64 - expected).abs() < 20.0,
            "{}",
            sessions.len()
        );
        // Batches of three at once, except when the wait runs out at night.
        let mut sizes: Vec<usize> = Vec::new();
        for (i, s) in sessions.iter().enumerate() {
            let same_dispatch = i > 0 && {
                let before = sessions[i - 1];
                (before.agent, before.assigned_at) == (s.agent, s.assigned_at)
            };
            match sizes.last_mut() {
                Some(n) if same_dispatch => *n += 1,
                _ => sizes.push(1),
            }
        }
        assert!(sizes.iter().all(|n| *n <= 3));
        let in_full_batches = sizes.iter().filter(|n| **n == 3).count() * 3;
        assert!(in_full_batches > sessions.len() * 9 / 10);
        for s in &sessions {
            assert!(s.live_until >= s.assigned_at + 30 * 60 + 20 * 60);
        }
    }

    #[test]
    fn repeat_customers_have_an_order_open() {
        let mut w = presets::default_workload();
        w.repeat_customer_share = 0.5;
        let sessions = simulate_day(&w, 0.05, &mut StdRng::seed_from_u64(2));
        let mut customers: Vec<u32> = sessions.iter().map(|s| s.customer).collect();
        customers.sort_unstable();
        customers.dedup();
        assert!(customers.len() < sessions.len() * 3 / 4);
    }
}
