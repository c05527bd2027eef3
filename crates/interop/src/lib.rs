//! Exchange formats of hemaflow: what other systems and people read and write.
//! Pure conversions between domain values and bytes; no storage, no HTTP.

pub mod csv_export;
