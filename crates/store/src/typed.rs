//! Typed values read from more than one column. A row carries the domain's value, not
//! its spelling in the table: a stored value the domain does not know fails the read
//! instead of travelling on as a string that later code must remember to check.

use domain::BloodGroup;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// The ABO/RhD on a donor's record (`abo`, `rhd` columns): both set or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupOnRecord(pub Option<BloodGroup>);

/// An ABO/RhD that is always present (a determination, a resolution, a target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group(pub BloodGroup);

impl GroupOnRecord {
    /// The two columns as written.
    pub fn columns(self) -> (Option<&'static str>, Option<&'static str>) {
        (self.0.map(|g| g.abo_str()), self.0.map(|g| g.rhd_str()))
    }
}

fn bad(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn read_pair<'r, R: Row>(row: &'r R) -> Result<Option<BloodGroup>, sqlx::Error>
where
    &'r str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let abo: Option<String> = row.try_get("abo")?;
    let rhd: Option<String> = row.try_get("rhd")?;
    match (abo, rhd) {
        (None, None) => Ok(None),
        (Some(a), Some(r)) => BloodGroup::from_columns(&a, &r).map(Some).map_err(|e| bad(format!("blood group: {e}"))),
        (a, r) => Err(bad(format!("blood group half recorded: abo {a:?}, rhd {r:?}"))),
    }
}

impl<'r, R: Row> FromRow<'r, R> for GroupOnRecord
where
    &'r str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        read_pair(row).map(Self)
    }
}

impl<'r, R: Row> FromRow<'r, R> for Group
where
    &'r str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        read_pair(row)?.map(Self).ok_or_else(|| bad("blood group missing".into()))
    }
}
