//! The therapeutic apheresis routes: requests, scheduling, calendars, nurses and
//! devices, procedure records and reports.

use super::{r, Access, Entry};
use crate::{apheresis as aph, apheresis_records as aph_records};
use axum::http::Method;
use axum::routing::{get, post};
use domain::Permission;

pub(super) fn routes() -> Vec<Entry> {
    use Access::*;
    use Permission::*;
    let see_apheresis = Either(ViewApheresis, RequestApheresis);
    vec![
        r(Method::GET, "/apheresis", see_apheresis, "Apheresis requests", get(aph::requests)),
        r(Method::GET, "/apheresis/new", Perm(RequestApheresis), "Request therapeutic apheresis form", get(aph::new_request)),
        r(Method::POST, "/apheresis", Perm(RequestApheresis), "Request therapeutic apheresis", post(aph::submit_request)),
        r(Method::GET, "/apheresis/calendar", see_apheresis, "Calendar of treatments (nurse, device, hospital; day or week)", get(aph::calendar)),
        r(
            Method::GET,
            "/apheresis/reports",
            Perm(ManageApheresis),
            "Apheresis reports: procedures, utilization, emergent waits, revenue",
            get(aph_records::reports),
        ),
        r(Method::GET, "/api/v1/apheresis/reports", Perm(ManageApheresis), "Apheresis reports", get(aph_records::api_reports)),
        r(Method::GET, "/apheresis/resources", Perm(ViewApheresis), "Nurses, devices and travel times", get(aph::resources)),
        r(Method::POST, "/apheresis/nurses", Perm(ManageApheresis), "Add an apheresis nurse", post(aph::add_nurse)),
        r(Method::POST, "/apheresis/certifications", Perm(ManageApheresis), "Record a nurse's certification", post(aph::certify)),
        r(Method::POST, "/apheresis/on-call", Perm(ManageApheresis), "Put a nurse on call for a day", post(aph::on_call)),
        r(Method::POST, "/apheresis/devices", Perm(ManageApheresis), "Add an apheresis device", post(aph::add_device)),
        r(Method::POST, "/apheresis/devices/service", Perm(ManageApheresis), "Record a device's service", post(aph::service_device)),
        r(Method::POST, "/apheresis/travel-times", Perm(ManageApheresis), "Set a travel time between two places", post(aph::travel)),
        r(Method::GET, "/apheresis/{number}", see_apheresis, "One apheresis request", get(aph::request)),
        r(Method::POST, "/apheresis/{number}/decision", Perm(ManageApheresis), "Accept, reject or ask about a request", post(aph::decide)),
        r(Method::POST, "/apheresis/{number}/answer", Perm(RequestApheresis), "Answer the coordinator's question", post(aph::answer)),
        r(Method::POST, "/apheresis/{number}/schedule", Perm(ManageApheresis), "Book the request's treatment series", post(aph::schedule)),
        r(Method::POST, "/apheresis/{number}/cancel", Perm(RequestApheresis), "Cancel a request", post(aph::cancel)),
        r(Method::POST, "/apheresis/treatments/{id}/reschedule", Perm(ManageApheresis), "Move one treatment", post(aph::reschedule)),
        r(Method::POST, "/apheresis/treatments/{id}/cancel", Perm(ManageApheresis), "Cancel one treatment", post(aph::cancel_treatment)),
        r(Method::GET, "/api/v1/apheresis/requests", see_apheresis, "Apheresis requests", get(aph::api_requests)),
        r(Method::POST, "/api/v1/apheresis/requests", Perm(RequestApheresis), "Request therapeutic apheresis", post(aph::api_submit)),
        r(
            Method::GET,
            "/api/v1/apheresis/requests/{number}",
            see_apheresis,
            "One apheresis request with its treatments and plan",
            get(aph::api_request),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/requests/{number}/decision",
            Perm(ManageApheresis),
            "Accept, reject or ask about a request",
            post(aph::api_decide),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/requests/{number}/answer",
            Perm(RequestApheresis),
            "Answer the coordinator's question",
            post(aph::api_answer),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/requests/{number}/schedule",
            Perm(ManageApheresis),
            "Book the request's treatment series",
            post(aph::api_schedule),
        ),
        r(Method::POST, "/api/v1/apheresis/requests/{number}/cancel", Perm(RequestApheresis), "Cancel a request", post(aph::api_cancel)),
        r(Method::POST, "/api/v1/apheresis/treatments/{id}/reschedule", Perm(ManageApheresis), "Move one treatment", post(aph::api_reschedule)),
        r(Method::POST, "/api/v1/apheresis/treatments/{id}/cancel", Perm(ManageApheresis), "Cancel one treatment", post(aph::api_cancel_treatment)),
        r(Method::GET, "/api/v1/apheresis/calendar", see_apheresis, "Calendar of treatments", get(aph::api_calendar)),
        r(Method::GET, "/api/v1/apheresis/resources", Perm(ViewApheresis), "Nurses, devices and travel times", get(aph::api_resources)),
        r(Method::POST, "/api/v1/apheresis/nurses", Perm(ManageApheresis), "Add an apheresis nurse", post(aph::api_add_nurse)),
        r(
            Method::POST,
            "/api/v1/apheresis/nurses/{username}/certifications",
            Perm(ManageApheresis),
            "Record a nurse's certification",
            post(aph::api_certify),
        ),
        r(Method::POST, "/api/v1/apheresis/on-call", Perm(ManageApheresis), "Put a nurse on call for a day", post(aph::api_on_call)),
        r(Method::POST, "/api/v1/apheresis/devices", Perm(ManageApheresis), "Add an apheresis device", post(aph::api_add_device)),
        r(
            Method::POST,
            "/api/v1/apheresis/devices/{serial}/service",
            Perm(ManageApheresis),
            "Record a device's service",
            post(aph::api_service_device),
        ),
        r(Method::POST, "/api/v1/apheresis/travel-times", Perm(ManageApheresis), "Set a travel time between two places", post(aph::api_travel)),
        r(Method::GET, "/apheresis/treatments/{id}", see_apheresis, "A treatment's procedure record", get(aph_records::procedure)),
        r(Method::POST, "/apheresis/treatments/{id}/record", Perm(RecordProcedures), "Save the procedure record", post(aph_records::save_record)),
        r(Method::POST, "/apheresis/treatments/{id}/plasma", Perm(RecordProcedures), "Scan a plasma unit given", post(aph_records::give_plasma)),
        r(Method::POST, "/apheresis/treatments/{id}/sign", Perm(RecordProcedures), "Sign the procedure record", post(aph_records::sign_record)),
        r(
            Method::POST,
            "/apheresis/treatments/{id}/amend",
            Either(RecordProcedures, ManageApheresis),
            "Amend a signed procedure record",
            post(aph_records::amend_record),
        ),
        r(
            Method::POST,
            "/apheresis/treatments/{id}/physician-note",
            Perm(ReviewProcedures),
            "Add the physician's note",
            post(aph_records::physician_note),
        ),
        r(Method::GET, "/api/v1/apheresis/treatments/{id}", see_apheresis, "A treatment's procedure record", get(aph_records::api_procedure)),
        r(
            Method::POST,
            "/api/v1/apheresis/treatments/{id}/record",
            Perm(RecordProcedures),
            "Save the procedure record",
            post(aph_records::api_save_record),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/treatments/{id}/plasma",
            Perm(RecordProcedures),
            "Scan a plasma unit given",
            post(aph_records::api_give_plasma),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/treatments/{id}/sign",
            Perm(RecordProcedures),
            "Sign the procedure record",
            post(aph_records::api_sign_record),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/treatments/{id}/amend",
            Either(RecordProcedures, ManageApheresis),
            "Amend a signed procedure record",
            post(aph_records::api_amend_record),
        ),
        r(
            Method::POST,
            "/api/v1/apheresis/treatments/{id}/physician-note",
            Perm(ReviewProcedures),
            "Add the physician's note",
            post(aph_records::api_physician_note),
        ),
    ]
}
