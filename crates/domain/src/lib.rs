//! Pure rules and types of a blood establishment: who may do what, the audit chain,
//! sites, hospital accounts, donors and donations.
//!
//! This crate never touches SQL, HTTP, files or the clock: callers pass in the time
//! and the data, and get back checked values or decisions.

pub mod apheresis;
pub mod appointment;
pub mod audit;
pub mod catalog;
pub mod collection;
pub mod compatibility;
pub mod component;
pub mod dating;
pub mod donor;
pub mod eligibility;
pub mod hospital;
pub mod import;
pub mod inventory;
pub mod labeling;
pub mod order;
pub mod pricing;
pub mod quality;
pub mod questionnaire;
pub mod recruitment;
pub mod release;
pub mod role;
pub mod search;
pub mod site;
pub mod testing;
pub mod throttle;
pub mod typing;
pub mod user;
pub mod validation;

pub use audit::{AuditDraft, AuditRecord, ChainBreak, GENESIS_HASH};
pub use donor::{BloodGroup, DonationProcedure, DonorNumber, Sex};
pub use hospital::{AccountStatus, HospitalAccount, HospitalCode, HospitalInput};
pub use role::{Permission, Role, Roles};
pub use site::{Site, SiteCode, SiteInput, SiteKind, TimeZoneName};
pub use user::{Password, Username};
pub use validation::{parse_day, FieldError, FieldErrors};
