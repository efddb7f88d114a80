//! `maskctl keys reseal` (`services::reseal`): every stored number sealed as `v1.`, `v2.` or under
//! an older key is rewritten as `v3.` under the current key, each only if it is still what was
//! read; the same numbers come back, a second run writes nothing, a concurrent writer keeps its
//! value, and the report never names a number.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use maskline::domain::Side;
use maskline::ports::{ItemKey, Replaced, SealPage, SealedValues, StoreError, StoredSeal};
use maskline::privacy::legacy::{seal_v1, seal_v2};
use maskline::privacy::{NumberVault, Owner, SealFormat, SealKeys, SealedNumber};
use maskline::services::{FoundAs, ResealReport, Resealer};
use maskline_tests::fixtures::ENCRYPTION_KEY;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, e164, HASH_KEY};
use maskline_tests::World;

use crate::support::{allocate_ok, connects_to, numbers_of, route};

/// The encryption key rotated in (a test key, base64 of 32 bytes).
const NEW_ENCRYPTION_KEY: &str = "bmV3LWVuY3J5cHRpb24ta2V5LWZvci1yb3RhdGlvbiE=";

/// The keys an operator lists while rotating: the new one first, the old one still readable.
fn rotating() -> SealKeys {
    SealKeys::from_base64(&format!("{NEW_ENCRYPTION_KEY},{ENCRYPTION_KEY}")).unwrap()
}

/// Every sealed number of the table, by where it is.
async fn seals(store: &dyn SealedValues) -> Vec<StoredSeal> {
    let mut all = Vec::new();
    let mut after: Option<ItemKey> = None;
    loop {
        let page = store.sealed_page(after.as_ref()).await.unwrap();
        all.extend(page.seals);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn owner(seal: &StoredSeal) -> Owner<'_> {
    Owner {
        order: &seal.order,
        side: seal.side,
    }
}

/// Whose phone `seal` must hold: ORD-i has customer i and agent i.
fn expected_phone(seal: &StoredSeal) -> String {
    let i: u32 = seal
        .order
        .as_str()
        .trim_start_matches("ORD-")
        .parse()
        .unwrap();
    match seal.side {
        Side::Customer => customer_phone(i),
        Side::Driver => driver_phone(i),
    }
}

/// Three orders whose numbers are stored as v1 (ORD-1), v2 (ORD-2) and v3 under the old key
/// (ORD-3, as allocated), as a table written by older versions would hold them.
async fn world_with_every_format() -> World {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    for i in 1..=3 {
        allocate_ok(&world, &[driver_assigned(&format!("ORD-{i}"), "blr", i, i)]).await;
    }
    let old = SealKeys::from_base64(ENCRYPTION_KEY).unwrap();
    for seal in seals(world.store.as_ref()).await {
        let phone = e164(&expected_phone(&seal));
        let legacy = match seal.order.as_str() {
            "ORD-1" => seal_v1(&old, &phone),
            "ORD-2" => seal_v2(&old, &phone, owner(&seal)),
            _ => continue,
        };
        let replaced = world.store.replace_sealed(&seal, &legacy).await.unwrap();
        assert_eq!(replaced, Replaced::Written);
    }
    world
}

fn formats(seals: &[StoredSeal]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for seal in seals {
        let name = match seal.value.format() {
            SealFormat::V1 => "v1".to_string(),
            SealFormat::V2 => "v2".to_string(),
            SealFormat::V3(id) => format!("v3 {id}"),
            SealFormat::Unknown => "unknown".to_string(),
        };
        *counts.entry(name).or_default() += 1;
    }
    counts
}

/// The report as maskctl prints it, text and JSON, holds no digit run of any participant's phone.
fn assert_names_no_number(report: &ResealReport) {
    let text = format!("{report}\n{}", serde_json::to_string(report).unwrap());
    for i in 1..=3 {
        for phone in [customer_phone(i), driver_phone(i)] {
            // The national part alone, too: the report must not hold it in any grouping.
            let national = &phone[phone.len() - 10..];
            assert!(!text.contains(national), "{text}");
        }
    }
}

#[tokio::test]
async fn every_format_is_resealed_as_current_v3_reads_back_the_same_and_a_second_run_changes_nothing(
) {
    let mut world = world_with_every_format().await;
    let before = seals(world.store.as_ref()).await;
    // Each order: a session with two sides, and a binding per side (the other side's number).
    assert_eq!(before.len(), 12);
    let old_id = SealKeys::from_base64(ENCRYPTION_KEY)
        .unwrap()
        .current_id()
        .to_string();
    assert_eq!(
        formats(&before),
        BTreeMap::from([
            ("v1".to_string(), 4),
            ("v2".to_string(), 4),
            (format!("v3 {old_id}"), 4)
        ])
    );
    // What the allocations announced, out of the way.
    assert!(world.events.read(3).await.len() >= 3);

    let keys = rotating();
    let resealer = Resealer {
        store: world.store.clone(),
        keys: keys.clone(),
    };
    let report = resealer.run().await.unwrap();
    for found in [FoundAs::V1, FoundAs::V2, FoundAs::V3OlderKey] {
        let counts = report.of(found);
        assert_eq!(
            (counts.found, counts.resealed),
            (4, 4),
            "{found:?}: {report}"
        );
        assert_eq!(counts.changed_meanwhile + counts.unopenable, 0);
    }
    assert_eq!(report.v1_left(), 0);
    let text = report.to_string();
    assert!(text.contains("No v1. value is left"), "{text}");
    assert_names_no_number(&report);

    let after = seals(world.store.as_ref()).await;
    assert_eq!(
        formats(&after),
        BTreeMap::from([(format!("v3 {}", keys.current_id()), 12)])
    );
    // The new key alone, refusing v1: every value opens to its own phone, bound to its owner.
    let only_new = SealKeys::from_base64(NEW_ENCRYPTION_KEY)
        .unwrap()
        .accepting_v1(false);
    for seal in &after {
        let phone = only_new.open(&seal.value, owner(seal)).unwrap();
        assert_eq!(phone.expose(), expected_phone(seal), "{:?}", seal.place);
    }
    // A change the apps cannot see: the stream's announcer publishes nothing for it.
    assert!(world.events.read(0).await.is_empty(), "nothing announced");

    // Calls connect with the old encryption key dropped and v1 refused.
    world.vault = NumberVault::from_base64(HASH_KEY, NEW_ENCRYPTION_KEY).unwrap();
    for i in 1..=3 {
        let order = format!("ORD-{i}");
        let (customer_dials, driver_dials) = numbers_of(&world, &order).await;
        let call = route(&world, &customer_dials, &customer_phone(i)).await;
        assert!(
            connects_to(&call, &driver_phone(i), &driver_dials),
            "{order}: {call:?}"
        );
        let call = route(&world, &driver_dials, &driver_phone(i)).await;
        assert!(
            connects_to(&call, &customer_phone(i), &customer_dials),
            "{order}: {call:?}"
        );
    }

    // Idempotent: nothing left to do, nothing written.
    let again = resealer.run().await.unwrap();
    assert_eq!(again.resealed(), 0, "{again}");
    assert_eq!(again.of(FoundAs::V3Current).found, 12);
    let values = |seals: &[StoredSeal]| -> Vec<SealedNumber> {
        seals.iter().map(|s| s.value.clone()).collect()
    };
    assert_eq!(values(&seals(world.store.as_ref()).await), values(&after));
}

/// The table, with one writer that changes the first value this run is about to rewrite just
/// before the run's own write, as an allocation or failover could.
struct RacingWriter {
    table: Arc<dyn SealedValues>,
    keys: SealKeys,
    raced: AtomicBool,
    /// The value the writer put there, once it has.
    wrote: Mutex<Option<(StoredSeal, SealedNumber)>>,
}

#[async_trait]
impl SealedValues for RacingWriter {
    async fn sealed_page(&self, after: Option<&ItemKey>) -> Result<SealPage, StoreError> {
        self.table.sealed_page(after).await
    }

    async fn replace_sealed(
        &self,
        seal: &StoredSeal,
        new: &SealedNumber,
    ) -> Result<Replaced, StoreError> {
        // Writes run concurrently: exactly one of them meets the writer.
        if !self.raced.swap(true, Ordering::SeqCst) {
            // A v1 value, so the next run has something to do with it.
            let theirs = seal_v1(&self.keys, &e164(&expected_phone(seal)));
            assert_eq!(
                self.table.replace_sealed(seal, &theirs).await?,
                Replaced::Written
            );
            *self.wrote.lock().unwrap() = Some((seal.clone(), theirs));
        }
        self.table.replace_sealed(seal, new).await
    }
}

#[tokio::test]
async fn a_value_changed_between_the_read_and_the_write_is_left_to_its_writer_and_the_next_run() {
    let world = world_with_every_format().await;
    let racing = Arc::new(RacingWriter {
        table: world.store.clone(),
        keys: rotating(),
        raced: AtomicBool::new(false),
        wrote: Mutex::new(None),
    });
    let report = Resealer {
        store: racing.clone(),
        keys: rotating(),
    }
    .run()
    .await
    .unwrap();
    let raced: u64 = report.by_format.values().map(|c| c.changed_meanwhile).sum();
    assert_eq!(raced, 1, "{report}");
    assert_eq!(report.resealed(), 11, "{report}");
    assert!(report.to_string().contains("run again"), "{report}");
    assert_names_no_number(&report);

    let (seal, theirs) = racing.wrote.lock().unwrap().clone().unwrap();
    let now = seals(world.store.as_ref()).await;
    let there = now.iter().find(|s| s.place == seal.place).unwrap();
    assert_eq!(there.value, theirs, "the concurrent writer's value stands");
    assert_eq!(
        now.iter()
            .filter(|s| s.value.format() == SealFormat::V1)
            .count(),
        1
    );

    // The next run (no race now) reseals it.
    let next = Resealer {
        store: world.store.clone(),
        keys: rotating(),
    }
    .run()
    .await
    .unwrap();
    assert_eq!(next.of(FoundAs::V1).resealed, 1, "{next}");
    assert_eq!(next.resealed(), 1, "{next}");
    assert_eq!(next.v1_left(), 0);
}

#[tokio::test]
async fn a_value_no_listed_key_opens_is_counted_left_alone_and_keeps_v1_from_being_retired() {
    let world = world_with_every_format().await;
    // The v1 values of ORD-1 sealed under a key the operator no longer lists.
    let report = Resealer {
        store: world.store.clone(),
        keys: SealKeys::from_base64(NEW_ENCRYPTION_KEY).unwrap(),
    }
    .run()
    .await
    .unwrap();
    let v1 = report.of(FoundAs::V1);
    assert_eq!(
        (v1.found, v1.resealed, v1.unopenable),
        (4, 0, 4),
        "{report}"
    );
    assert_eq!(report.of(FoundAs::V3UnlistedKey).unopenable, 4);
    assert_eq!(report.v1_left(), 4);
    let text = report.to_string();
    assert!(text.contains("4 v1. values are left"), "{text}");
    assert!(text.contains("could not be opened"), "{text}");
    assert_names_no_number(&report);
    let still = seals(world.store.as_ref()).await;
    assert_eq!(
        still
            .iter()
            .filter(|s| s.value.format() == SealFormat::V1)
            .count(),
        4,
        "left as they were"
    );
}
