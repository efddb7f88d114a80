//! Finding a caller's binding on a VN while a hash key may be rotating.

use chrono::{DateTime, Utc};

use crate::domain::{VirtualNumber, E164};
use crate::ports::{SessionStore, StoreError, StoredBinding};
use crate::privacy::CallerKeys;

/// The caller's binding on `vn` that `usable` accepts, looked up under the current hash key
/// first and under each older listed key only on a miss: sessions written before a rotation
/// keep connecting, and the second `GetItem` is paid only by callers the current key does not
/// find (none once the old key is dropped). A binding found but refused by `usable` (expired)
/// is a miss too, so a stale binding under the current key cannot hide a live one under an
/// older key.
pub async fn find_binding(
    store: &dyn SessionStore,
    keys: &CallerKeys,
    vn: &VirtualNumber,
    caller: &E164,
    usable: impl Fn(&StoredBinding) -> bool,
) -> Result<Option<StoredBinding>, StoreError> {
    for key in keys.every_caller_key(caller) {
        if let Some(binding) = store.binding(vn, &key).await?.filter(&usable) {
            return Ok(Some(binding));
        }
    }
    Ok(None)
}

/// Live at `now`: expiry is judged by `live_until`, not by TTL, which may leave an expired item
/// for days.
pub fn live_at(now: DateTime<Utc>) -> impl Fn(&StoredBinding) -> bool {
    move |binding| binding.live_until > now
}
