//! Every end-to-end test of the web crate, in one binary: one link instead of
//! two dozen, and a fraction of the disk (each binary carried the whole server).

#[macro_use]
mod common;
mod apheresis;
mod apheresis_records;
mod apheresis_service;
mod api;
mod appointments;
mod authorization;
mod captured;
mod components;
mod consignees;
mod dashboards;
mod donations;
mod donors;
mod inventory;
mod invoices;
mod labels;
mod mail;
mod outbox;
mod pages;
mod plain;
mod quality;
mod recruitment;
mod recruitment_scores;
mod registry;
mod release;
mod sales;
mod screening;
mod security;
