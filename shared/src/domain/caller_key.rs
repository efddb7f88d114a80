//! A participant as the table knows them: the keyed hash of their number. The domain compares and
//! counts these; `privacy` makes them from numbers, the store hands them back.

/// The keyed hash of a real number: safe to put in a table key or compare, reveals nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallerKey(String);

impl CallerKey {
    /// Rebuilds a key read back from the store.
    pub fn from_stored(value: String) -> Self {
        CallerKey(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
