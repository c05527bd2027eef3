//! Formatting helpers templates call, so every page shows numbers the same way.

/// A count of anything: templates hand over values or references.
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for i32 {
    fn count(&self) -> i64 {
        i64::from(*self)
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// A count with thousands separators ("12,345"), for every number on a page.
pub fn n(x: impl Count) -> String {
    render::number::thousands(x.count())
}
