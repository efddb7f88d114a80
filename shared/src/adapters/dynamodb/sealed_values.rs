//! The sealed numbers of the table, for `maskctl keys reseal`: a scan of sessions and bindings
//! (live or not) reading only what names a sealed value's owner, and a conditional rewrite of one
//! value that never overwrites a concurrent writer's.

use async_trait::async_trait;

use super::items::{key, opt_s, s, Item};
use super::layout::{self, attr};
use super::pool_lifecycle::{condition_failed, unavailable};
use super::DynamoStore;
use crate::domain::{OrderId, Side};
use crate::ports::{ItemKey, Replaced, SealPage, SealPlace, SealedValues, StoreError, StoredSeal};
use crate::privacy::SealedNumber;

/// Where each side's number sits on a session item.
const SESSION_SEALS: [(&str, Side); 2] = [
    (attr::CUSTOMER_SEALED, Side::Customer),
    (attr::DRIVER_SEALED, Side::Driver),
];

#[async_trait]
impl SealedValues for DynamoStore {
    async fn sealed_page(&self, after: Option<&ItemKey>) -> Result<SealPage, StoreError> {
        let start = after.map(|at| key(at.pk.clone(), at.sk.clone()));
        let page = self
            .client()
            .scan()
            .table_name(self.table())
            // Consistent, so a run that reports no `v1.` value left can be trusted.
            .consistent_read(true)
            .filter_expression(
                "(#sk = :session OR begins_with(#sk, :binding)) \
                 AND (attribute_exists(#cs) OR attribute_exists(#ds) OR attribute_exists(#callee))",
            )
            .projection_expression("#pk, #sk, #order, #caller_side, #cs, #ds, #callee")
            .expression_attribute_names("#pk", layout::PK)
            .expression_attribute_names("#sk", layout::SK)
            .expression_attribute_names("#order", attr::ORDER_ID)
            .expression_attribute_names("#caller_side", attr::CALLER_SIDE)
            .expression_attribute_names("#cs", attr::CUSTOMER_SEALED)
            .expression_attribute_names("#ds", attr::DRIVER_SEALED)
            .expression_attribute_names("#callee", attr::CALLEE)
            .expression_attribute_values(":session", s(layout::SESSION))
            .expression_attribute_values(":binding", s(layout::BIND_PREFIX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let mut seals = Vec::new();
        for item in page.items() {
            seals.extend(seals_of(item)?);
        }
        let next = page
            .last_evaluated_key()
            .filter(|k| !k.is_empty())
            .map(item_key)
            .transpose()?;
        Ok(SealPage { seals, next })
    }

    async fn replace_sealed(
        &self,
        seal: &StoredSeal,
        new: &SealedNumber,
    ) -> Result<Replaced, StoreError> {
        let write = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key(
                seal.place.item.pk.clone(),
                seal.place.item.sk.clone(),
            )))
            // Only the value changes: a session's version stays, so its writers' conditions are
            // untouched, and the stream's announcer sees no change the apps could see.
            .update_expression("SET #sealed = :new")
            .condition_expression("#sealed = :read")
            .expression_attribute_names("#sealed", seal.place.attribute)
            .expression_attribute_values(":new", s(new.as_str()))
            .expression_attribute_values(":read", s(seal.value.as_str()))
            .send()
            .await;
        match write {
            Ok(_) => Ok(Replaced::Written),
            Err(e) if condition_failed(&e) => Ok(Replaced::ChangedMeanwhile),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn item_key(item: &Item) -> Result<ItemKey, StoreError> {
    let part = |name: &str| {
        opt_s(item, name)
            .map(str::to_string)
            .ok_or_else(|| StoreError::Corrupt(format!("an item without its {name}")))
    };
    Ok(ItemKey {
        pk: part(layout::PK)?,
        sk: part(layout::SK)?,
    })
}

/// The sealed numbers of one session or binding, each with its owner.
fn seals_of(item: &Item) -> Result<Vec<StoredSeal>, StoreError> {
    let corrupt = |what: &str| {
        let pk = opt_s(item, layout::PK).unwrap_or("?");
        StoreError::Corrupt(format!("{what} on item {pk}"))
    };
    let order = opt_s(item, attr::ORDER_ID)
        .and_then(|o| OrderId::parse(o).ok())
        .ok_or_else(|| corrupt("a sealed number without a valid order_id"))?;
    let sealed = |attribute: &'static str, side: Side| -> Result<Option<StoredSeal>, StoreError> {
        let Some(value) = opt_s(item, attribute) else {
            return Ok(None);
        };
        Ok(Some(StoredSeal {
            place: SealPlace {
                item: item_key(item)?,
                attribute,
            },
            order: order.clone(),
            side,
            value: SealedNumber::from_stored(value.to_string()),
        }))
    };
    if opt_s(item, layout::SK) == Some(layout::SESSION) {
        return Ok(SESSION_SEALS
            .iter()
            .map(|(attribute, side)| sealed(attribute, *side))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect());
    }
    // A binding's callee is the other side's number: the caller dials it.
    let caller = opt_s(item, attr::CALLER_SIDE)
        .and_then(Side::parse)
        .ok_or_else(|| corrupt("a binding without a valid caller_side"))?;
    Ok(sealed(attr::CALLEE, caller.other())?.into_iter().collect())
}
