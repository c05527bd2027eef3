//! The store crate's integration tests, in one binary (one link, less disk).

mod consignees;
mod contract;
mod quality;
mod scores;
mod truncate;
