//! The authorization matrix: for every route, each role either gets through or gets
//! 403; anonymous API calls get 401 and anonymous page views are sent to the login.
//! The expectations below are written independently of the route table, and every
//! route in the table must appear here.

use crate::common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use std::collections::BTreeSet;

// Separation of duties: the administrator holds no clinical permission (screening,
// collection, deferral, reentry, typing, group resolution, merges, rule versions,
// labels) unless also given a clinical role.
const STAFF: &[&str] = &["admin", "recruiter", "collector", "lab", "distribution", "apheresis", "sales", "quality", "physician"];
const ALL: &[&str] =
    &["admin", "recruiter", "collector", "lab", "distribution", "apheresis", "apheresis_nurse", "sales", "quality", "physician", "hospital"];
const ADMIN: &[&str] = &["admin"];
const SITE_MANAGERS: &[&str] = &["admin"];
const HOSPITAL_VIEWERS: &[&str] = &["admin", "distribution", "apheresis", "sales", "quality", "hospital"];
const HOSPITAL_MANAGERS: &[&str] = &["admin", "sales"];
const AUDITORS: &[&str] = &["admin", "quality"];
const LABELERS: &[&str] = &["lab"];
const DIN_USERS: &[&str] = &["collector", "lab"];
const COLLECTORS: &[&str] = &["collector"];
const MANUFACTURERS: &[&str] = &["lab"];
const SET_MANAGERS: &[&str] = &["lab"];
const ELIGIBILITY: &[&str] = &["admin", "recruiter", "collector", "quality", "physician"];
const DONOR_VIEWERS: &[&str] = &["admin", "recruiter", "collector", "lab", "quality", "physician"];
const APHERESIS_PLANNERS: &[&str] = &["apheresis", "apheresis_nurse", "physician"];
const APHERESIS_VIEWERS: &[&str] = &["apheresis", "apheresis_nurse", "physician", "hospital"];
const APHERESIS_STAFF: &[&str] = &["apheresis", "apheresis_nurse", "physician"];
const APHERESIS_NURSES: &[&str] = &["apheresis_nurse"];
const APHERESIS_AMENDERS: &[&str] = &["apheresis", "apheresis_nurse"];
const APHERESIS_REVIEWERS: &[&str] = &["physician"];
const APHERESIS_REQUESTERS: &[&str] = &["apheresis", "hospital"];
const APHERESIS_COORDINATORS: &[&str] = &["apheresis"];
const DEFERRERS: &[&str] = &["collector", "quality"];
const REENTERERS: &[&str] = &["quality"];
const REGISTRARS: &[&str] = &["admin", "recruiter", "collector"];
const SCREENERS: &[&str] = &["collector"];
const RULE_MANAGERS: &[&str] = &["quality"];
const MERGERS: &[&str] = &["quality"];
const TYPISTS: &[&str] = &["lab", "quality"];
const GROUP_RESOLVERS: &[&str] = &["quality"];
const RECRUITMENT_VIEWERS: &[&str] = &["admin", "recruiter", "quality"];
const RECRUITERS: &[&str] = &["admin", "recruiter"];
const SCHEDULERS: &[&str] = &["admin", "collector"];
const BOOKERS: &[&str] = &["admin", "recruiter", "collector"];
const STOCK_VIEWERS: &[&str] = &["lab", "distribution", "sales", "quality", "physician"];
const STORAGE_MANAGERS: &[&str] = &["lab", "quality"];
const MOVERS: &[&str] = &["lab", "distribution"];
const EXCURSION_RECORDERS: &[&str] = &["lab", "distribution", "quality"];
const DISCARDERS: &[&str] = &["lab", "distribution", "quality"];
const DEVIATION_MANAGERS: &[&str] = &["quality"];
const QC_RECORDERS: &[&str] = &["lab", "quality"];
const HOLD_LIFTERS: &[&str] = &["quality"];
const ORDER_VIEWERS: &[&str] = &["distribution", "sales", "hospital"];
const ORDERERS: &[&str] = &["distribution", "hospital"];
const STAFF_ORDER_VIEWERS: &[&str] = &["distribution", "sales"];
const ALLOCATORS: &[&str] = &["distribution"];
const SHIPPERS: &[&str] = &["distribution"];
const RECEIVERS: &[&str] = &["hospital"];
const RETURN_HANDLERS: &[&str] = &["distribution"];
const NOTICE_READERS: &[&str] = &["admin", "recruiter", "collector", "lab", "quality", "physician", "hospital"];
const CONTRACT_VIEWERS: &[&str] = &["distribution", "sales", "hospital"];
const CONTRACT_MANAGERS: &[&str] = &["sales"];
const INVOICE_VIEWERS: &[&str] = &["sales", "hospital"];
const INVOICE_MANAGERS: &[&str] = &["sales"];

/// (method, path, roles allowed). Public routes are listed with `None`.
fn expected() -> Vec<(&'static str, &'static str, Option<&'static [&'static str]>)> {
    vec![
        ("GET", "/healthz", None),
        ("GET", "/static/{file}", None),
        ("GET", "/login", None),
        ("POST", "/login", None),
        ("GET", "/api/v1/openapi.json", None),
        ("POST", "/logout", Some(ALL)),
        ("GET", "/", Some(ALL)),
        ("GET", "/api/v1/me", Some(ALL)),
        ("GET", "/sites", Some(STAFF)),
        ("GET", "/sites/new", Some(SITE_MANAGERS)),
        ("POST", "/sites", Some(SITE_MANAGERS)),
        ("GET", "/sites/{id}", Some(STAFF)),
        ("GET", "/sites/{id}/edit", Some(SITE_MANAGERS)),
        ("POST", "/sites/{id}", Some(SITE_MANAGERS)),
        ("GET", "/api/v1/sites", Some(STAFF)),
        ("POST", "/api/v1/sites", Some(SITE_MANAGERS)),
        ("GET", "/api/v1/sites/{id}", Some(STAFF)),
        ("PUT", "/api/v1/sites/{id}", Some(SITE_MANAGERS)),
        ("GET", "/hospitals", Some(HOSPITAL_VIEWERS)),
        ("GET", "/hospitals/new", Some(HOSPITAL_MANAGERS)),
        ("POST", "/hospitals", Some(HOSPITAL_MANAGERS)),
        ("GET", "/hospitals/{id}", Some(HOSPITAL_VIEWERS)),
        ("GET", "/hospitals/{id}/edit", Some(HOSPITAL_MANAGERS)),
        ("POST", "/hospitals/{id}", Some(HOSPITAL_MANAGERS)),
        ("GET", "/api/v1/hospitals", Some(HOSPITAL_VIEWERS)),
        ("POST", "/api/v1/hospitals", Some(HOSPITAL_MANAGERS)),
        ("GET", "/api/v1/hospitals/{id}", Some(HOSPITAL_VIEWERS)),
        ("PUT", "/api/v1/hospitals/{id}", Some(HOSPITAL_MANAGERS)),
        ("GET", "/quality/audit", Some(AUDITORS)),
        ("GET", "/quality/audit.csv", Some(AUDITORS)),
        ("GET", "/api/v1/audit", Some(AUDITORS)),
        ("GET", "/lab/labels", Some(LABELERS)),
        ("POST", "/lab/labels", Some(LABELERS)),
        ("GET", "/lab/dins", Some(DIN_USERS)),
        ("POST", "/lab/dins", Some(DIN_USERS)),
        ("GET", "/lab/dins/assigned", Some(DIN_USERS)),
        ("POST", "/lab/dins/sets", Some(SET_MANAGERS)),
        ("POST", "/api/v1/labels", Some(LABELERS)),
        ("POST", "/api/v1/labels/verify", Some(LABELERS)),
        ("POST", "/api/v1/dins", Some(DIN_USERS)),
        ("POST", "/api/v1/dins/preprinted", Some(DIN_USERS)),
        ("GET", "/api/v1/din-label-sets", Some(DIN_USERS)),
        ("POST", "/api/v1/din-label-sets", Some(SET_MANAGERS)),
        ("POST", "/api/v1/rules/eligibility", Some(ELIGIBILITY)),
        ("POST", "/api/v1/rules/dating", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/rules/compatible", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/rules/apheresis", Some(APHERESIS_PLANNERS)),
        ("GET", "/apheresis", Some(APHERESIS_VIEWERS)),
        ("GET", "/apheresis/new", Some(APHERESIS_REQUESTERS)),
        ("POST", "/apheresis", Some(APHERESIS_REQUESTERS)),
        ("GET", "/apheresis/calendar", Some(APHERESIS_VIEWERS)),
        ("GET", "/apheresis/resources", Some(APHERESIS_STAFF)),
        ("GET", "/apheresis/reports", Some(APHERESIS_COORDINATORS)),
        ("GET", "/api/v1/apheresis/reports", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/nurses", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/certifications", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/on-call", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/devices", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/devices/service", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/travel-times", Some(APHERESIS_COORDINATORS)),
        ("GET", "/apheresis/{number}", Some(APHERESIS_VIEWERS)),
        ("POST", "/apheresis/{number}/decision", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/{number}/answer", Some(APHERESIS_REQUESTERS)),
        ("POST", "/apheresis/{number}/schedule", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/{number}/cancel", Some(APHERESIS_REQUESTERS)),
        ("POST", "/apheresis/treatments/{id}/reschedule", Some(APHERESIS_COORDINATORS)),
        ("POST", "/apheresis/treatments/{id}/cancel", Some(APHERESIS_COORDINATORS)),
        ("GET", "/api/v1/apheresis/requests", Some(APHERESIS_VIEWERS)),
        ("POST", "/api/v1/apheresis/requests", Some(APHERESIS_REQUESTERS)),
        ("GET", "/api/v1/apheresis/requests/{number}", Some(APHERESIS_VIEWERS)),
        ("POST", "/api/v1/apheresis/requests/{number}/decision", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/requests/{number}/answer", Some(APHERESIS_REQUESTERS)),
        ("POST", "/api/v1/apheresis/requests/{number}/schedule", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/requests/{number}/cancel", Some(APHERESIS_REQUESTERS)),
        ("POST", "/api/v1/apheresis/treatments/{id}/reschedule", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/treatments/{id}/cancel", Some(APHERESIS_COORDINATORS)),
        ("GET", "/api/v1/apheresis/calendar", Some(APHERESIS_VIEWERS)),
        ("GET", "/api/v1/apheresis/resources", Some(APHERESIS_STAFF)),
        ("POST", "/api/v1/apheresis/nurses", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/nurses/{username}/certifications", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/on-call", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/devices", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/devices/{serial}/service", Some(APHERESIS_COORDINATORS)),
        ("POST", "/api/v1/apheresis/travel-times", Some(APHERESIS_COORDINATORS)),
        ("GET", "/apheresis/treatments/{id}", Some(APHERESIS_VIEWERS)),
        ("POST", "/apheresis/treatments/{id}/record", Some(APHERESIS_NURSES)),
        ("POST", "/apheresis/treatments/{id}/plasma", Some(APHERESIS_NURSES)),
        ("POST", "/apheresis/treatments/{id}/sign", Some(APHERESIS_NURSES)),
        ("POST", "/apheresis/treatments/{id}/amend", Some(APHERESIS_AMENDERS)),
        ("POST", "/apheresis/treatments/{id}/physician-note", Some(APHERESIS_REVIEWERS)),
        ("GET", "/api/v1/apheresis/treatments/{id}", Some(APHERESIS_VIEWERS)),
        ("POST", "/api/v1/apheresis/treatments/{id}/record", Some(APHERESIS_NURSES)),
        ("POST", "/api/v1/apheresis/treatments/{id}/plasma", Some(APHERESIS_NURSES)),
        ("POST", "/api/v1/apheresis/treatments/{id}/sign", Some(APHERESIS_NURSES)),
        ("POST", "/api/v1/apheresis/treatments/{id}/amend", Some(APHERESIS_AMENDERS)),
        ("POST", "/api/v1/apheresis/treatments/{id}/physician-note", Some(APHERESIS_REVIEWERS)),
        ("GET", "/api/v1/donations/{din}/tests", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/donations/{din}/results", Some(&["lab"])),
        ("GET", "/api/v1/components/{din}/{code}/release", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/components/{din}/{code}/release", Some(&["lab"])),
        ("GET", "/quality/deviations", Some(DEVIATION_MANAGERS)),
        ("GET", "/quality/deviations/new", Some(DEVIATION_MANAGERS)),
        ("POST", "/quality/deviations", Some(DEVIATION_MANAGERS)),
        ("GET", "/quality/deviations/{number}", Some(DEVIATION_MANAGERS)),
        ("POST", "/quality/deviations/{number}/investigation", Some(DEVIATION_MANAGERS)),
        ("POST", "/quality/deviations/{number}/report", Some(DEVIATION_MANAGERS)),
        ("POST", "/quality/deviations/{number}/close", Some(DEVIATION_MANAGERS)),
        ("GET", "/api/v1/deviations", Some(DEVIATION_MANAGERS)),
        ("POST", "/api/v1/deviations", Some(DEVIATION_MANAGERS)),
        ("GET", "/api/v1/deviations/{number}", Some(DEVIATION_MANAGERS)),
        ("POST", "/api/v1/deviations/{number}/investigation", Some(DEVIATION_MANAGERS)),
        ("POST", "/api/v1/deviations/{number}/report", Some(DEVIATION_MANAGERS)),
        ("POST", "/api/v1/deviations/{number}/close", Some(DEVIATION_MANAGERS)),
        ("GET", "/api/v1/components/{din}/{code}/quality", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/components/{din}/{code}/qc", Some(QC_RECORDERS)),
        ("POST", "/components/{din}/{code}/qc", Some(QC_RECORDERS)),
        ("POST", "/api/v1/components/{din}/{code}/holds/{id}/lift", Some(HOLD_LIFTERS)),
        ("POST", "/components/{din}/{code}/holds/{id}/lift", Some(HOLD_LIFTERS)),
        ("POST", "/api/v1/components/{din}/{code}/emergency-release", Some(&["lab"])),
        ("GET", "/donors", Some(DONOR_VIEWERS)),
        ("GET", "/donors/new", Some(REGISTRARS)),
        ("POST", "/donors", Some(REGISTRARS)),
        ("POST", "/api/v1/donors", Some(REGISTRARS)),
        ("GET", "/donors/{number}", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/donors", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/donors/{number}", Some(DONOR_VIEWERS)),
        ("GET", "/donors/rare", Some(DONOR_VIEWERS)),
        ("GET", "/donors/{number}/edit", Some(REGISTRARS)),
        ("POST", "/donors/{number}/edit", Some(REGISTRARS)),
        ("POST", "/donors/{number}/merge", Some(MERGERS)),
        ("POST", "/donors/{number}/blood-groups", Some(TYPISTS)),
        ("POST", "/donors/{number}/attributes", Some(TYPISTS)),
        ("POST", "/donors/{number}/blood-group-resolution", Some(GROUP_RESOLVERS)),
        ("GET", "/api/v1/donors/rare", Some(DONOR_VIEWERS)),
        ("PATCH", "/api/v1/donors/{number}", Some(REGISTRARS)),
        ("GET", "/api/v1/donors/{number}/versions", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/donors/{number}/merge", Some(MERGERS)),
        ("POST", "/api/v1/donors/{number}/blood-groups", Some(TYPISTS)),
        ("POST", "/api/v1/donors/{number}/blood-group-resolution", Some(GROUP_RESOLVERS)),
        ("POST", "/api/v1/donors/{number}/attributes", Some(TYPISTS)),
        ("POST", "/donors/{number}/deferrals", Some(DEFERRERS)),
        ("POST", "/api/v1/donors/{number}/collections", Some(COLLECTORS)),
        ("POST", "/deferrals/{id}/reentry", Some(REENTERERS)),
        ("POST", "/deferrals/{id}/correction", Some(REENTERERS)),
        ("POST", "/api/v1/donors/{number}/deferrals", Some(DEFERRERS)),
        ("POST", "/api/v1/deferrals/{id}/reentry", Some(REENTERERS)),
        ("POST", "/api/v1/deferrals/{id}/correction", Some(REENTERERS)),
        ("GET", "/donors/{number}/screening", Some(SCREENERS)),
        ("POST", "/donors/{number}/screening", Some(SCREENERS)),
        ("POST", "/api/v1/donors/{number}/screenings", Some(SCREENERS)),
        ("GET", "/api/v1/donors/{number}/screenings", Some(DONOR_VIEWERS)),
        ("GET", "/screenings/{id}", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/screenings/{id}", Some(DONOR_VIEWERS)),
        ("POST", "/screenings/{id}/collection", Some(COLLECTORS)),
        ("POST", "/api/v1/screenings/{id}/collection", Some(COLLECTORS)),
        ("GET", "/api/v1/questionnaire", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/questionnaires", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/questionnaires", Some(RULE_MANAGERS)),
        ("GET", "/quality/rules", Some(ELIGIBILITY)),
        ("POST", "/quality/rules", Some(RULE_MANAGERS)),
        ("GET", "/api/v1/rules/eligibility/versions", Some(ELIGIBILITY)),
        ("POST", "/api/v1/rules/eligibility/versions", Some(RULE_MANAGERS)),
        ("GET", "/donations/{din}", Some(DONOR_VIEWERS)),
        ("POST", "/donations/{din}/separation", Some(MANUFACTURERS)),
        ("GET", "/lab/processing", Some(MANUFACTURERS)),
        ("GET", "/lab/units", Some(DONOR_VIEWERS)),
        ("POST", "/lab/processing", Some(MANUFACTURERS)),
        ("POST", "/api/v1/processing", Some(MANUFACTURERS)),
        ("GET", "/components/{din}/{code}", Some(DONOR_VIEWERS)),
        ("POST", "/components/{din}/{code}/label", Some(LABELERS)),
        ("POST", "/api/v1/components/{din}/{code}/label", Some(LABELERS)),
        ("POST", "/components/{din}/{code}/modifications", Some(MANUFACTURERS)),
        ("POST", "/components/{din}/{code}/volume", Some(MANUFACTURERS)),
        ("POST", "/donations/{din}/results", Some(&["lab"])),
        ("POST", "/donations/{din}/tests", Some(&["lab"])),
        ("POST", "/api/v1/donations/{din}/tests", Some(&["lab"])),
        ("GET", "/lab/results", Some(&["lab"])),
        ("POST", "/lab/results", Some(&["lab"])),
        ("POST", "/api/v1/results/import", Some(&["lab"])),
        ("POST", "/components/{din}/{code}/release", Some(&["lab"])),
        ("POST", "/components/{din}/{code}/emergency-release", Some(&["lab"])),
        ("GET", "/quality/notifications", Some(DONOR_VIEWERS)),
        ("POST", "/quality/notifications/{id}", Some(&["quality", "physician"])),
        ("GET", "/api/v1/donor-notifications", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/donor-notifications/{id}", Some(&["quality", "physician"])),
        ("GET", "/quality/lookback", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/lookback-cases", Some(DONOR_VIEWERS)),
        ("GET", "/quality/lookback/{case}", Some(DONOR_VIEWERS)),
        ("POST", "/quality/lookback/{case}/notices", Some(DEVIATION_MANAGERS)),
        ("POST", "/quality/lookback/{case}/result", Some(DEVIATION_MANAGERS)),
        ("GET", "/quality/lookback/{case}/letters/{file}", Some(NOTICE_READERS)),
        ("GET", "/quality/recalls", Some(DONOR_VIEWERS)),
        ("POST", "/quality/recalls", Some(DEVIATION_MANAGERS)),
        ("GET", "/quality/trace/{number}", Some(DONOR_VIEWERS)),
        ("GET", "/portal/notices", Some(NOTICE_READERS)),
        ("POST", "/portal/notices/{id}/acknowledgement", Some(RECEIVERS)),
        ("POST", "/api/v1/recalls", Some(DEVIATION_MANAGERS)),
        ("GET", "/api/v1/consignee-cases/{case}", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/consignee-cases/{case}/notices", Some(DEVIATION_MANAGERS)),
        ("POST", "/api/v1/consignee-cases/{case}/supplemental-result", Some(DEVIATION_MANAGERS)),
        ("GET", "/api/v1/consignee-notifications", Some(NOTICE_READERS)),
        ("GET", "/api/v1/consignee-notifications/{id}", Some(NOTICE_READERS)),
        ("POST", "/api/v1/consignee-notifications/{id}/acknowledgement", Some(RECEIVERS)),
        ("GET", "/api/v1/donors/{number}/trace", Some(DONOR_VIEWERS)),
        ("GET", "/orders", Some(ORDER_VIEWERS)),
        ("GET", "/orders/new", Some(ORDERERS)),
        ("POST", "/orders", Some(ORDERERS)),
        ("GET", "/orders/{number}", Some(ORDER_VIEWERS)),
        ("POST", "/orders/{number}/allocate", Some(ALLOCATORS)),
        ("POST", "/orders/{number}/pick", Some(ALLOCATORS)),
        ("POST", "/orders/{number}/unreserve/{id}", Some(ALLOCATORS)),
        ("POST", "/orders/{number}/pack", Some(SHIPPERS)),
        ("POST", "/orders/{number}/cancel", Some(ORDERERS)),
        ("GET", "/shipments/{number}", Some(ORDER_VIEWERS)),
        ("GET", "/shipments/{number}/packing-list.pdf", Some(ORDER_VIEWERS)),
        ("GET", "/shipments/{number}/manifest.pdf", Some(ORDER_VIEWERS)),
        ("POST", "/shipments/{number}/ship", Some(SHIPPERS)),
        ("POST", "/shipments/{number}/receipt", Some(RECEIVERS)),
        ("GET", "/sales/supply", Some(STAFF_ORDER_VIEWERS)),
        ("GET", "/sales/supply/{file}", Some(STAFF_ORDER_VIEWERS)),
        ("POST", "/sales/shortage-notices", Some(ALLOCATORS)),
        ("GET", "/api/v1/supply", Some(STAFF_ORDER_VIEWERS)),
        ("GET", "/api/v1/shortage-notices", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/shortage-notices", Some(ALLOCATORS)),
        ("GET", "/orders/standing", Some(ORDER_VIEWERS)),
        ("POST", "/orders/standing", Some(STAFF_ORDER_VIEWERS)),
        ("POST", "/orders/standing/{id}/end", Some(STAFF_ORDER_VIEWERS)),
        ("GET", "/api/v1/standing-orders", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/standing-orders", Some(STAFF_ORDER_VIEWERS)),
        ("POST", "/api/v1/standing-orders/{id}/end", Some(STAFF_ORDER_VIEWERS)),
        ("GET", "/returns", Some(ORDER_VIEWERS)),
        ("POST", "/returns", Some(RETURN_HANDLERS)),
        ("POST", "/returns/inspection", Some(RETURN_HANDLERS)),
        ("POST", "/dispositions", Some(RECEIVERS)),
        ("GET", "/sales/contracts", Some(CONTRACT_VIEWERS)),
        ("POST", "/sales/contracts", Some(CONTRACT_MANAGERS)),
        ("GET", "/sales/invoices", Some(INVOICE_VIEWERS)),
        ("POST", "/sales/invoices", Some(INVOICE_MANAGERS)),
        ("POST", "/sales/invoices/shipment", Some(INVOICE_MANAGERS)),
        ("GET", "/sales/invoices.csv", Some(INVOICE_VIEWERS)),
        ("GET", "/invoices/{number}", Some(INVOICE_VIEWERS)),
        ("POST", "/invoices/{number}/credit-notes", Some(INVOICE_MANAGERS)),
        ("POST", "/invoices/{number}/payments", Some(INVOICE_MANAGERS)),
        ("GET", "/api/v1/hospitals/{id}/contracts", Some(CONTRACT_VIEWERS)),
        ("POST", "/api/v1/hospitals/{id}/contracts", Some(CONTRACT_MANAGERS)),
        ("POST", "/api/v1/hospitals/{id}/invoices", Some(INVOICE_MANAGERS)),
        ("POST", "/api/v1/shipments/{number}/invoice", Some(INVOICE_MANAGERS)),
        ("GET", "/api/v1/invoices", Some(INVOICE_VIEWERS)),
        ("GET", "/api/v1/invoices/{number}", Some(INVOICE_VIEWERS)),
        ("POST", "/api/v1/invoices/{number}/credit-notes", Some(INVOICE_MANAGERS)),
        ("POST", "/api/v1/invoices/{number}/payments", Some(INVOICE_MANAGERS)),
        ("GET", "/api/v1/returns", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/returns", Some(RETURN_HANDLERS)),
        ("POST", "/api/v1/returns/inspections", Some(RETURN_HANDLERS)),
        ("GET", "/api/v1/dispositions", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/dispositions", Some(RECEIVERS)),
        ("GET", "/api/v1/orders", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/orders", Some(ORDERERS)),
        ("GET", "/api/v1/orders/{number}", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/orders/{number}/allocate", Some(ALLOCATORS)),
        ("POST", "/api/v1/orders/{number}/picks", Some(ALLOCATORS)),
        ("POST", "/api/v1/orders/{number}/allocations/{id}/release", Some(ALLOCATORS)),
        ("POST", "/api/v1/orders/{number}/cancel", Some(ORDERERS)),
        ("POST", "/api/v1/orders/{number}/pack", Some(SHIPPERS)),
        ("GET", "/api/v1/shipments", Some(ORDER_VIEWERS)),
        ("GET", "/api/v1/shipments/{number}", Some(ORDER_VIEWERS)),
        ("POST", "/api/v1/shipments/{number}/ship", Some(SHIPPERS)),
        ("POST", "/api/v1/shipments/{number}/receipt", Some(RECEIVERS)),
        ("GET", "/inventory", Some(STOCK_VIEWERS)),
        ("GET", "/api/v1/inventory", Some(STOCK_VIEWERS)),
        ("GET", "/inventory/locations", Some(STOCK_VIEWERS)),
        ("POST", "/inventory/locations", Some(STORAGE_MANAGERS)),
        ("GET", "/api/v1/storage-locations", Some(STOCK_VIEWERS)),
        ("POST", "/api/v1/storage-locations", Some(STORAGE_MANAGERS)),
        ("GET", "/inventory/move", Some(MOVERS)),
        ("POST", "/inventory/move", Some(MOVERS)),
        ("POST", "/api/v1/inventory/moves", Some(MOVERS)),
        ("GET", "/inventory/excursions", Some(STOCK_VIEWERS)),
        ("POST", "/inventory/excursions", Some(EXCURSION_RECORDERS)),
        ("GET", "/api/v1/excursions", Some(STOCK_VIEWERS)),
        ("POST", "/api/v1/excursions", Some(EXCURSION_RECORDERS)),
        ("POST", "/components/{din}/{code}/discard", Some(DISCARDERS)),
        ("POST", "/api/v1/components/{din}/{code}/discard", Some(DISCARDERS)),
        ("POST", "/api/v1/donations/{din}/separation", Some(MANUFACTURERS)),
        ("GET", "/api/v1/donations/{din}/components", Some(DONOR_VIEWERS)),
        ("GET", "/api/v1/components/{din}/{code}", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/components/{din}/{code}/modifications", Some(MANUFACTURERS)),
        ("POST", "/api/v1/components/{din}/{code}/volume", Some(MANUFACTURERS)),
        ("POST", "/donations/{din}/collection", Some(COLLECTORS)),
        ("POST", "/donations/{din}/reactions", Some(COLLECTORS)),
        ("GET", "/api/v1/donations/{din}", Some(DONOR_VIEWERS)),
        ("POST", "/api/v1/donations/{din}/collection", Some(COLLECTORS)),
        ("POST", "/api/v1/donations/{din}/reactions", Some(COLLECTORS)),
        ("GET", "/quality/rules/{code}", Some(ELIGIBILITY)),
        ("POST", "/quality/rules/{code}", Some(RULE_MANAGERS)),
        ("POST", "/api/v1/rules/eligibility/{code}/change", Some(RULE_MANAGERS)),
        ("GET", "/admin/users", Some(ADMIN)),
        ("POST", "/admin/users", Some(ADMIN)),
        ("GET", "/admin/users/{username}", Some(ADMIN)),
        ("POST", "/admin/users/{username}", Some(ADMIN)),
        ("POST", "/admin/users/{username}/active", Some(ADMIN)),
        ("POST", "/admin/users/{username}/password", Some(ADMIN)),
        ("GET", "/account", Some(ALL)),
        ("POST", "/account/password", Some(ALL)),
        ("GET", "/api/v1/users/{username}", Some(ADMIN)),
        ("PUT", "/api/v1/users/{username}", Some(ADMIN)),
        ("POST", "/api/v1/users/{username}/active", Some(ADMIN)),
        ("POST", "/api/v1/users/{username}/password", Some(ADMIN)),
        ("POST", "/admin/tokens", Some(ADMIN)),
        ("POST", "/admin/tokens/{id}/revoke", Some(ADMIN)),
        ("GET", "/api/v1/users", Some(ADMIN)),
        ("POST", "/api/v1/users", Some(ADMIN)),
        ("GET", "/api/v1/tokens", Some(ADMIN)),
        ("POST", "/api/v1/tokens", Some(ADMIN)),
        ("POST", "/api/v1/tokens/{id}/revoke", Some(ADMIN)),
        ("GET", "/recruitment", Some(RECRUITMENT_VIEWERS)),
        ("POST", "/recruitment/targets", Some(RECRUITERS)),
        ("GET", "/recruitment/segments/new", Some(RECRUITERS)),
        ("POST", "/recruitment/segments", Some(RECRUITERS)),
        ("GET", "/recruitment/segments/{id}", Some(RECRUITMENT_VIEWERS)),
        ("POST", "/recruitment/segments/{id}", Some(RECRUITERS)),
        ("GET", "/recruitment/campaigns/new", Some(RECRUITERS)),
        ("POST", "/recruitment/campaigns", Some(RECRUITERS)),
        ("GET", "/recruitment/campaigns/{id}", Some(RECRUITMENT_VIEWERS)),
        ("GET", "/outbox", Some(RECRUITERS)),
        ("POST", "/recruitment/contacts/{id}/outcome", Some(RECRUITERS)),
        ("GET", "/unsubscribe/{token}", None),
        ("POST", "/unsubscribe/{token}", None),
        ("GET", "/api/v1/recruitment/scores", Some(RECRUITMENT_VIEWERS)),
        ("GET", "/api/v1/recruitment/needs", Some(RECRUITMENT_VIEWERS)),
        ("PUT", "/api/v1/recruitment/targets", Some(RECRUITERS)),
        ("GET", "/api/v1/segments", Some(RECRUITMENT_VIEWERS)),
        ("POST", "/api/v1/segments", Some(RECRUITERS)),
        ("POST", "/api/v1/segments/preview", Some(RECRUITMENT_VIEWERS)),
        ("GET", "/api/v1/segments/{id}", Some(RECRUITMENT_VIEWERS)),
        ("PUT", "/api/v1/segments/{id}", Some(RECRUITERS)),
        ("GET", "/api/v1/campaigns", Some(RECRUITMENT_VIEWERS)),
        ("POST", "/api/v1/campaigns", Some(RECRUITERS)),
        ("GET", "/api/v1/campaigns/{id}", Some(RECRUITMENT_VIEWERS)),
        ("GET", "/api/v1/campaigns/{id}/calls.csv", Some(RECRUITMENT_VIEWERS)),
        ("POST", "/api/v1/campaigns/{id}/bounces", Some(RECRUITERS)),
        ("POST", "/api/v1/contacts/{id}/outcome", Some(RECRUITERS)),
        ("GET", "/api/v1/sites/{id}/schedule", Some(STAFF)),
        ("PUT", "/api/v1/sites/{id}/schedule", Some(SCHEDULERS)),
        ("POST", "/api/v1/sites/{id}/drives", Some(SCHEDULERS)),
        ("GET", "/api/v1/appointments", Some(BOOKERS)),
        ("POST", "/api/v1/appointments", Some(BOOKERS)),
        ("POST", "/api/v1/appointments/{id}/cancel", Some(BOOKERS)),
        ("POST", "/api/v1/appointments/{id}/attendance", Some(BOOKERS)),
        ("POST", "/api/v1/donors/{number}/booking-links", Some(BOOKERS)),
        ("GET", "/appointments", Some(BOOKERS)),
        ("POST", "/appointments", Some(BOOKERS)),
        ("POST", "/appointments/{id}/cancel", Some(BOOKERS)),
        ("POST", "/appointments/{id}/attendance", Some(BOOKERS)),
        ("POST", "/appointments/schedule", Some(SCHEDULERS)),
        ("POST", "/appointments/drives", Some(SCHEDULERS)),
        ("POST", "/donors/{number}/booking-links", Some(BOOKERS)),
        ("GET", "/book/{token}", None),
        ("POST", "/book/{token}", None),
        ("GET", "/book/cancel/{token}", None),
        ("POST", "/book/cancel/{token}", None),
    ]
}

/// A concrete URL for a route pattern. The hospital user's requests name their own
/// hospital, so that "allowed" means really allowed.
fn concrete(t: &TestApp, path: &str) -> String {
    let id = if path.contains("/hospitals/") {
        t.own_hospital.to_string()
    } else if path.contains("/tokens/") {
        t.token_id.to_string()
    } else {
        t.site_id.to_string()
    };
    path.replace("{id}", &id)
        .replace("{username}", "lab")
        .replace("{file}", "app.css")
        .replace("{serial}", "SN-NONE")
        .replace("{number}", "D0000001")
        .replace("{token}", "hfb_unknown")
        .replace("{code}", "TEMPERATURE")
        .replace("{din}", "A999926123456")
        .replace("{case}", &t.site_id.to_string())
}

/// Bodies that pass authorization but change nothing (they fail validation), so the
/// matrix can run every route for every role.
fn body(method: &str, path: &str) -> Option<(&'static str, String)> {
    match (method, path) {
        ("GET", _) => None,
        (_, p) if p.starts_with("/api/") => Some(("application/json", "{}".into())),
        (_, "/admin/users/{username}/active") => Some(("application/x-www-form-urlencoded", "active=true".into())),
        _ => Some(("application/x-www-form-urlencoded", "code=".into())),
    }
}

#[test]
fn every_route_has_an_expectation_and_no_expectation_is_stale() {
    let table: BTreeSet<(String, String)> = web::routes::specs().into_iter().map(|s| (s.method.to_string(), s.path.to_string())).collect();
    let expected: BTreeSet<(String, String)> = expected().into_iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(table.difference(&expected).collect::<Vec<_>>(), Vec::<&(String, String)>::new(), "routes without an expectation");
    assert_eq!(expected.difference(&table).collect::<Vec<_>>(), Vec::<&(String, String)>::new(), "expectations without a route");
}

async fn matrix_holds_for_every_route_and_role(t: TestApp) {
    // Signing in and out are tested on their own: a bad login is a 401 by design.
    let routes: Vec<_> = expected().into_iter().filter(|(m, p, _)| *p != "/logout" && !(*m == "POST" && *p == "/login")).collect();
    for role in ALL {
        let s = t.login_as(role).await;
        for (method, path, allowed) in &routes {
            let url = t.url(&concrete(&t, path));
            let mut req = s.client.request(Method::from_bytes(method.as_bytes()).unwrap(), &url).header("x-csrf-token", &s.csrf);
            if let Some((ct, b)) = body(method, path) {
                req = req.header("content-type", ct).body(b);
            }
            let status = req.send().await.unwrap().status();
            let may = allowed.is_none_or(|roles| roles.contains(role));
            if may {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
                    "{role} {method} {path}: expected to get through, got {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {path}");
            }
        }
        // Signing out is allowed for everyone; done last since it ends the session.
        let r = s.client.post(t.url("/logout")).form(&[("_csrf", s.csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} logout");
    }
}

async fn anonymous_api_gets_401_and_pages_redirect_to_login(t: TestApp) {
    let c = common::client();
    for (method, path, allowed) in expected() {
        if allowed.is_none() {
            continue;
        }
        let url = t.url(&concrete(&t, path));
        let mut req = c.request(Method::from_bytes(method.as_bytes()).unwrap(), &url);
        if let Some((ct, b)) = body(method, path) {
            req = req.header("content-type", ct).body(b);
        }
        let r = req.send().await.unwrap();
        if path.starts_with("/api/") {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "anonymous {method} {path}");
            let p = common::problem(r).await;
            assert_eq!(p["status"], 401);
        } else {
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "anonymous {method} {path}");
            let to = r.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/login"), "anonymous {method} {path} went to {to}");
        }
    }
}

async fn hospital_user_gets_404_for_another_hospital(t: TestApp) {
    let s = t.login_as("hospital").await;
    for path in [format!("/api/v1/hospitals/{}", t.other_hospital), format!("/hospitals/{}", t.other_hospital)] {
        let r = s.client.get(t.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let own: serde_json::Value = s.client.get(t.url("/api/v1/hospitals")).send().await.unwrap().json().await.unwrap();
    let codes: Vec<&str> = own.as_array().unwrap().iter().map(|h| h["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["H-OWN"]);
    let page = s.client.get(t.url("/hospitals")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Own Hospital") && !page.contains("Other Hospital"));
}

both_backends!(
    matrix_holds_for_every_route_and_role,
    anonymous_api_gets_401_and_pages_redirect_to_login,
    hospital_user_gets_404_for_another_hospital,
);
