//! ISBT 128 codec: reads and writes the ICCBBA data structures found on blood,
//! tissue and cell product labels, computes the ISO/IEC 7064 MOD 37-2 check character,
//! and describes product codes from a table the centre supplies.
//!
//! What this crate must never do: I/O (callers read files and scanners), guess (every
//! malformed or unknown value is an [`Error`] that says what and where), or ship
//! ICCBBA's licensed tables (only the handful of publicly published product codes).
//! Facts come from ICCBBA ST-001 v6.2.2 as restated in hemaflow's reference notes.
//!
//! # Reading a scan
//!
//! ```
//! use isbt128::{decode, DataStructure};
//!
//! for item in decode("]C4=A99992612345600=%5100")? {
//!     match item {
//!         DataStructure::Din(din) => assert_eq!(din.eye_readable().to_string(), "A9999 26 123456 [T]"),
//!         DataStructure::BloodGroups(bg) => assert_eq!(bg.to_string(), "O RhD positive"),
//!         _ => unreachable!(),
//!     }
//! }
//! # Ok::<(), isbt128::Error>(())
//! ```
//!
//! # Building a DIN
//!
//! ```
//! use isbt128::{check_character, Din, Flags};
//!
//! assert_eq!(check_character("A999917123456")?, '9');
//! let din = Din::new("A9999", 2026, 123456, Flags::NONE)?;
//! assert_eq!(din.encode(), "=A99992612345600");
//! assert_eq!(din.eye_readable().to_string(), "A9999 26 123456 [T]");
//! # Ok::<(), isbt128::Error>(())
//! ```
//!
//! # Fields for output
//!
//! [`DataStructure::fields`] gives every structure's fields as `(name, FieldValue)`
//! pairs, ready to turn into a JSON object. Each starts with `structure` (`"001"`…),
//! `name` and `data` (the exact characters read, data identifier included); all but
//! the DIN end with `check_character` (K over the content, or null). In between:
//!
//! - DIN (001): `din` (13 characters), `fin`, `year` (2000 + the two digits, number),
//!   `year_code` (the two digits as in the data, text), `sequence` (number), `flags` (two
//!   characters as encoded), `flags_type` (`not_used`, `defined`, `local`, `checksum`,
//!   `reserved`), `flags_meaning`, `check_character`, `eye_readable`.
//! - Blood groups (002): `group_code`, `abo` (`O`, `A`, `B`, `AB`, `A1`, …, `pooled`,
//!   or null), `rhd` (`pos`, `neg`, `pooled`, or null when not specified),
//!   `intended_use`, `special_message`, `phenotype_code`, `kell` and `mia` (`pos`,
//!   `neg`, null), `phenotype`, `text`.
//! - Product code (003): `product_code` (the PDC), `category`, `donation_type` (the
//!   collection-type character or null), `donation_type_text`, `division` (the
//!   division characters as encoded), `division_text`.
//! - Dates (004–009): `date` (ISO), `time` (`HH:MM` or null), then `expires_at`,
//!   `collected_at`/`collected_on` or `produced_at`/`produced_on`, and `text` (label
//!   form). `expires_at` is an ISO 8601 local date-time without offset, e.g.
//!   `2025-09-01T18:00`: ISBT 128 dates carry no time zone (they are the labelling
//!   facility's local time); a date-only expiry (004) expires at 23:59 that day.
//! - The other structures: see the source of [`DataStructure::fields`]; names are
//!   snake_case and lists (DS029, DS030) are [`FieldValue::List`].
//!
//! # Dates
//!
//! No date dependency: a small Gregorian calendar is built in ([`Date`],
//! [`DateTime`]). `cyy` in `cyyjjj` is read as the year's last three digits (2000–2999).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blood_group;
mod chars;
mod check;
mod data_structure;
mod date;
mod dates;
mod decode;
mod din;
mod error;
mod fin;
mod other;
mod product;
mod structure;
mod table;

pub use blood_group::{Abo, BloodGroup, BloodGroups, IntendedUse, Phenotype, RhD, RhPhenotype, SpecialMessage};
pub use check::{check_character, check_character_of, mod37_2_checksum};
pub use data_structure::{DataStructure, FieldValue};
pub use date::{is_leap_year, Date, DateTime};
pub use dates::{
    CollectionDate, CollectionDateTime, ExpirationDate, ExpirationDateTime, ExpirationMonth, FlexibleDateTime, PatientBirthDate, ProductionDate,
    ProductionDateTime, TimeKind, TimeZone,
};
pub use decode::{decode, decode_scan, Scan, ScannedItem, Symbology};
pub use din::{Din, EyeReadableDin, FlagMeaning, FlagType, Flags};
pub use error::Error;
pub use fin::Fin;
pub use other::{
    AntigenResult, ChainOfIdentity, CompoundHeader, ContainerCatalog, ContainerLot, Dimension, Dimensions, DonorId, Grid, GridRetired, HlaAbRetired,
    HlaDrb1Retired, ItemCatalog, ItemLot, MphoLot, MphoSupplementalId, NationalStructure, PatientId, PlateletAntigens, ProcessingFacility,
    ProcessorProductId, ProductConsignment, ProductDivisions, RbcAntigens, RbcAntigensFinnish, RbcAntigensRetired, RedCellAntigens, Sec,
    SpecialTesting, StaffId, TtiMarker,
};
pub use product::{CollectionType, Division, Pdc, ProductCategory, ProductCode};
pub use structure::StructureKind;
pub use table::{CodeEntry, ProductCodeTable, SpecialTestingTable};
