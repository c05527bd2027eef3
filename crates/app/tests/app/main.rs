//! The app crate's integration tests, in one binary (one link, less disk).

mod concurrency;
mod dashboards;
mod search;
mod use_cases;
