//! Replays a day's sessions, in the order they start, against a pool that starts empty and grows
//! only when Maskline's own allocation rule (`domain::choice::choose_numbers` over
//! `domain::policy::Candidates`) finds nothing, the way refill buys on exhaustion. The pool size
//! at the end of the day is the size this online, buy-when-it-fails replay reached for this
//! stream of sessions (and seed): not the smallest pool that could have served the day — a pool
//! chosen knowing the whole day in advance may be smaller — so the report prints the lower bound
//! beside it.
//!
//! Candidates are read as the service reads them. Shared: windows of the service's size
//! (`ALLOCATION_WINDOW`) of the allocation index, whose keys are random per number, from a random
//! place, wrapping, widening while what was read offers nothing for the pair; so which numbers a
//! session lands on, and so how sessions pack, follows the service. Exclusive: a window of free
//! numbers from a random place; the service reads the same index windows and learns which are
//! locked from refused claims, but any free number serves an exclusive session equally, so the
//! pool size does not depend on which free ones a window shows.

use std::collections::{BTreeMap, HashMap};

use maskline::adapters::dynamodb::ALLOCATION_WINDOW;
use maskline::domain::choice::choose_numbers;
use maskline::domain::policy::Candidates;
use maskline::domain::session::AssignedNumbers;
use maskline::domain::{Operator, PairMode, Side, VirtualNumber};
use rand::rngs::StdRng;
use rand::Rng;

use super::day::PlannedSession;
use super::fictional::FictionalNumbers;
use super::timeline::{events_of, Event, Timeline};

/// How many free numbers an exclusive allocation is offered at most.
const EXCLUSIVE_WINDOW: usize = 16;

/// The pooled policies; "one purchase per order" needs no pool (see `report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Maskline's default: a VN carries many sessions, never two for the same caller.
    Shared,
    /// Shared, and each side also holds a backup VN on the other of two operators.
    SharedWithBackups,
    /// One live session per VN (`ALLOCATION_POLICY=exclusive`).
    Exclusive,
    /// Shared, with one VN per order dialled by both parties (`PAIR_MODE=single`).
    SingleNumber,
}

impl Policy {
    pub const ALL: [Policy; 4] = [
        Policy::Shared,
        Policy::SharedWithBackups,
        Policy::Exclusive,
        Policy::SingleNumber,
    ];

    fn with_backups(self) -> bool {
        self == Policy::SharedWithBackups
    }

    fn pair_mode(self) -> PairMode {
        match self {
            Policy::SingleNumber => PairMode::Single,
            _ => PairMode::Pair,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The pool size the replay reached by the end of the day.
    pub numbers: u32,
    /// Numbers with at least one live binding.
    pub in_use: Timeline,
}

/// `step` is called once per session, for a progress bar.
pub fn replay(
    sessions: &[PlannedSession],
    policy: Policy,
    rng: &mut StdRng,
    mut step: impl FnMut(),
) -> anyhow::Result<Replayed> {
    let mut pool = Pool::new(policy);
    let mut held: Vec<Vec<(Side, usize)>> = vec![Vec::new(); sessions.len()];
    let mut in_use = Timeline::default();
    for event in events_of(sessions) {
        match event {
            Event::Starts { session, .. } => {
                let s = sessions[session];
                let numbers = pool.allocate(s, rng)?;
                held[session] = pool.bind(s, &numbers);
                step();
            }
            Event::Ends { session, .. } => {
                pool.unbind(sessions[session], &held[session]);
            }
        }
        in_use.record(event.at(), pool.in_use);
    }
    Ok(Replayed {
        numbers: pool.numbers.len() as u32,
        in_use,
    })
}

struct Pool {
    policy: Policy,
    numbers: Vec<(VirtualNumber, Operator)>,
    index: HashMap<VirtualNumber, usize>,
    /// Each number under its random allocation-index key, in key order (as GSI3 lists them).
    index_keys: BTreeMap<u64, usize>,
    /// Live bindings per number.
    load: Vec<u32>,
    /// Numbers without a live binding, in no order, and where each sits in that list.
    free: Vec<usize>,
    free_at: Vec<Option<usize>>,
    in_use: u32,
    /// The numbers each participant is bound on (once per binding).
    bound: HashMap<(Side, u32), Vec<usize>>,
    supply: FictionalNumbers,
    operators: [Operator; 2],
}

impl Pool {
    fn new(policy: Policy) -> Self {
        let operator = |name| Operator::parse(name).expect("a valid operator name");
        Pool {
            policy,
            numbers: Vec::new(),
            index: HashMap::new(),
            index_keys: BTreeMap::new(),
            load: Vec::new(),
            free: Vec::new(),
            free_at: Vec::new(),
            in_use: 0,
            bound: HashMap::new(),
            supply: FictionalNumbers::new(),
            operators: [operator("operator-a"), operator("operator-b")],
        }
    }

    /// The session's numbers, buying one more number each time the rule finds none (or, with
    /// backups, no backup on another operator).
    fn allocate(&mut self, s: PlannedSession, rng: &mut StdRng) -> anyhow::Result<AssignedNumbers> {
        loop {
            let chosen = match self.policy {
                Policy::Shared | Policy::SharedWithBackups | Policy::SingleNumber => {
                    self.choose_from_windows(s, rng)
                }
                Policy::Exclusive => {
                    let candidates = self.free_window(rng);
                    choose_numbers(None, &candidates, false, PairMode::Pair, rng)
                }
            };
            match chosen {
                Some(numbers) => return Ok(numbers),
                None => self.buy_one(rng)?,
            }
        }
    }

    /// What `CandidatePool::choose` would pick for this pair under shared: windows of the
    /// allocation index in key order from a random place, minus the numbers where either party
    /// already has a live binding, widened while they offer no complete choice; `None` once the
    /// whole pool has been read.
    fn choose_from_windows(&self, s: PlannedSession, rng: &mut StdRng) -> Option<AssignedNumbers> {
        let with_backups = self.policy.with_backups();
        let start: u64 = rng.gen();
        let mut in_key_order = self
            .index_keys
            .range(start..)
            .chain(self.index_keys.range(..start))
            .map(|(_, i)| *i);
        let mut read: Vec<(VirtualNumber, Operator)> = Vec::new();
        loop {
            let window: Vec<_> = in_key_order
                .by_ref()
                .take(ALLOCATION_WINDOW as usize)
                .map(|i| self.numbers[i].clone())
                .collect();
            if window.is_empty() {
                return None;
            }
            read.extend(window);
            let mut candidates = Candidates::new(read.clone());
            for (side, who) in [(Side::Customer, s.customer), (Side::Driver, s.agent)] {
                for i in self.bound.get(&(side, who)).into_iter().flatten() {
                    candidates.rule_out_for(side, self.numbers[*i].0.clone());
                }
            }
            let chosen = choose_numbers(
                None,
                &candidates,
                with_backups,
                self.policy.pair_mode(),
                rng,
            );
            let complete = chosen.as_ref().is_some_and(|n| {
                !with_backups || (n.customer_backup.is_some() && n.driver_backup.is_some())
            });
            if complete {
                return chosen;
            }
        }
    }

    /// Under exclusive: free numbers only (the same as ruling held ones out everywhere), a window
    /// of them from a random place rather than all: any two free numbers fit, and offering
    /// thousands to every order would make a city's replay quadratic.
    fn free_window(&self, rng: &mut StdRng) -> Candidates {
        let free = self.free.len();
        let start = if free > EXCLUSIVE_WINDOW {
            rng.gen_range(0..free)
        } else {
            0
        };
        Candidates::new(
            (0..free.min(EXCLUSIVE_WINDOW))
                .map(|k| self.numbers[self.free[(start + k) % free]].clone())
                .collect(),
        )
    }

    /// Backups need numbers on both operators, so purchases alternate between them; without
    /// backups the operator does not matter and every number is on the first.
    fn buy_one(&mut self, rng: &mut StdRng) -> anyhow::Result<()> {
        let vn = self.supply.next().ok_or_else(|| {
            anyhow::anyhow!(
                "a region needs more than the {} fictional numbers the planner can simulate; \
                 split the workload into more regions",
                FictionalNumbers::CAPACITY
            )
        })?;
        let operator = if self.policy.with_backups() {
            self.operators[self.numbers.len() % 2].clone()
        } else {
            self.operators[0].clone()
        };
        let i = self.numbers.len();
        let mut key: u64 = rng.gen();
        while self.index_keys.contains_key(&key) {
            key = rng.gen();
        }
        self.index_keys.insert(key, i);
        self.index.insert(vn.clone(), i);
        self.numbers.push((vn, operator));
        self.load.push(0);
        self.free_at.push(Some(self.free.len()));
        self.free.push(i);
        Ok(())
    }

    /// One binding per (number, caller): the customer on what they dial, the agent likewise.
    fn bind(&mut self, s: PlannedSession, numbers: &AssignedNumbers) -> Vec<(Side, usize)> {
        let mut held = Vec::with_capacity(4);
        for (side, who) in [(Side::Customer, s.customer), (Side::Driver, s.agent)] {
            for vn in numbers.all_of(side) {
                let i = self.index[vn];
                if self.load[i] == 0 {
                    self.in_use += 1;
                    self.take_from_free(i);
                }
                self.load[i] += 1;
                self.bound.entry((side, who)).or_default().push(i);
                held.push((side, i));
            }
        }
        held
    }

    fn take_from_free(&mut self, i: usize) {
        let at = self.free_at[i]
            .take()
            .expect("a number without bindings is free");
        self.free.swap_remove(at);
        if let Some(moved) = self.free.get(at) {
            self.free_at[*moved] = Some(at);
        }
    }

    fn unbind(&mut self, s: PlannedSession, held: &[(Side, usize)]) {
        for (side, i) in held {
            let who = match side {
                Side::Customer => s.customer,
                Side::Driver => s.agent,
            };
            self.load[*i] -= 1;
            if self.load[*i] == 0 {
                self.in_use -= 1;
                self.free_at[*i] = Some(self.free.len());
                self.free.push(*i);
            }
            let bound = self.bound.get_mut(&(*side, who)).expect("bound above");
            let at = bound.iter().position(|b| b == i).expect("bound above");
            bound.swap_remove(at);
            if bound.is_empty() {
                self.bound.remove(&(*side, who));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn session(customer: u32, agent: u32, from: u32, to: u32) -> PlannedSession {
        PlannedSession {
            customer,
            agent,
            assigned_at: from,
            live_until: to,
        }
    }

    fn needs(sessions: &[PlannedSession], policy: Policy) -> u32 {
        let mut rng = StdRng::seed_from_u64(5);
        replay(sessions, policy, &mut rng, || {}).unwrap().numbers
    }

    #[test]
    fn one_agent_with_four_orders_needs_four_numbers_shared_and_eight_exclusive() {
        let sessions: Vec<_> = (1..=4).map(|c| session(c, 1, 0, 100)).collect();
        assert_eq!(needs(&sessions, Policy::Shared), 4);
        assert_eq!(needs(&sessions, Policy::SharedWithBackups), 8);
        assert_eq!(needs(&sessions, Policy::Exclusive), 8);
        assert_eq!(needs(&sessions, Policy::SingleNumber), 4);
    }

    #[test]
    fn one_number_per_order_serves_many_orders_of_distinct_people() {
        let sessions: Vec<_> = (1..=50).map(|i| session(i, i, i, 1000)).collect();
        assert_eq!(needs(&sessions, Policy::SingleNumber), 1);
        assert_eq!(needs(&sessions, Policy::Shared), 2);
    }

    #[test]
    fn many_agents_with_one_order_each_share_two_numbers() {
        let sessions: Vec<_> = (1..=50).map(|i| session(i, i, i, 1000)).collect();
        assert_eq!(needs(&sessions, Policy::Shared), 2);
        assert_eq!(needs(&sessions, Policy::Exclusive), 100);
    }

    /// The busiest agent dials 200 distinct numbers, several windows of the allocation index:
    /// the replay widens to the next window before it buys, as the service does, so the pool
    /// stays at the lower bound (a replay that bought whenever the first window failed would
    /// reach far more).
    #[test]
    fn an_agent_busier_than_one_window_is_served_by_widening_not_buying() {
        let sessions: Vec<_> = (1..=200).map(|c| session(c, 1, 0, 100)).collect();
        assert!(200 > 4 * ALLOCATION_WINDOW as u32);
        assert_eq!(needs(&sessions, Policy::Shared), 200);
    }

    #[test]
    fn numbers_are_reused_once_sessions_end() {
        let sessions: Vec<_> = (0..20)
            .map(|i| session(i, i, i * 10, i * 10 + 10))
            .collect();
        let mut rng = StdRng::seed_from_u64(1);
        let replayed = replay(&sessions, Policy::Exclusive, &mut rng, || {}).unwrap();
        assert_eq!(replayed.numbers, 2);
        assert_eq!(replayed.in_use.peak(), 2);
    }
}
