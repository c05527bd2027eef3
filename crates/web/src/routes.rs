//! The route table: every route with its access rule. The router is built from it,
//! the guard enforces it, the OpenAPI document lists it, and the authorization
//! matrix test checks it against its own independent expectations.

use crate::{api, appointments, assets, donors, labels, pages, recruitment as rec, registry, screening, AppState};
use app::Actor;
use axum::http::Method;
use axum::routing::{get, patch, post, put, MethodRouter};
use domain::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    Signed,
    Perm(Permission),
    /// Either permission suffices (e.g. all hospitals, or one's own).
    Either(Permission, Permission),
}

impl Access {
    pub fn allows(self, actor: &Actor) -> bool {
        match self {
            Access::Public | Access::Signed => true,
            Access::Perm(p) => actor.can(p),
            Access::Either(a, b) => actor.can(a) || actor.can(b),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
}

type Entry = (RouteSpec, MethodRouter<AppState>);

fn r(method: Method, path: &'static str, access: Access, summary: &'static str, handler: MethodRouter<AppState>) -> Entry {
    (RouteSpec { method, path, access, summary }, handler)
}

pub fn table() -> Vec<Entry> {
    use Access::*;
    use Permission::*;
    let any_hospital = Either(ViewHospitals, ViewOwnHospital);
    vec![
        r(Method::GET, "/healthz", Public, "Liveness and database status", get(api::healthz)),
        r(Method::GET, "/static/{file}", Public, "Vendored assets", get(assets::serve)),
        r(Method::GET, "/login", Public, "Sign-in form", get(pages::login_form)),
        r(Method::POST, "/login", Public, "Sign in", post(pages::login)),
        r(Method::POST, "/logout", Signed, "Sign out", post(pages::logout)),
        r(Method::GET, "/", Signed, "Dashboard", get(pages::dashboard)),
        r(Method::GET, "/sites", Perm(ViewSites), "Sites", get(pages::sites::list)),
        r(Method::GET, "/sites/new", Perm(ManageSites), "New site form", get(pages::sites::new_form)),
        r(Method::POST, "/sites", Perm(ManageSites), "Create a site", post(pages::sites::create)),
        r(Method::GET, "/sites/{id}", Perm(ViewSites), "One site", get(pages::sites::show)),
        r(Method::GET, "/sites/{id}/edit", Perm(ManageSites), "Edit site form", get(pages::sites::edit_form)),
        r(Method::POST, "/sites/{id}", Perm(ManageSites), "Record a new site version", post(pages::sites::update)),
        r(Method::GET, "/hospitals", any_hospital, "Hospital accounts", get(pages::hospitals::list)),
        r(Method::GET, "/hospitals/new", Perm(ManageHospitals), "New hospital form", get(pages::hospitals::new_form)),
        r(Method::POST, "/hospitals", Perm(ManageHospitals), "Create a hospital account", post(pages::hospitals::create)),
        r(Method::GET, "/hospitals/{id}", any_hospital, "One hospital account", get(pages::hospitals::show)),
        r(Method::GET, "/hospitals/{id}/edit", Perm(ManageHospitals), "Edit hospital form", get(pages::hospitals::edit_form)),
        r(Method::POST, "/hospitals/{id}", Perm(ManageHospitals), "Record a new hospital version", post(pages::hospitals::update)),
        r(Method::GET, "/quality/audit", Perm(ViewAudit), "Audit trail", get(pages::audit::list)),
        r(Method::GET, "/quality/audit.csv", Perm(ViewAudit), "Audit trail as CSV", get(pages::audit::export_csv)),
        r(Method::GET, "/donors", Perm(ViewDonors), "Donor search", get(donors::search)),
        r(Method::GET, "/donors/new", Perm(RegisterDonors), "Donor registration form", get(donors::new_form)),
        r(Method::POST, "/donors", Perm(RegisterDonors), "Register a donor", post(donors::register)),
        r(Method::GET, "/donors/rare", Perm(ViewDonors), "Rare-donor search", get(registry::rare)),
        r(Method::GET, "/donors/{number}", Perm(ViewDonors), "A donor's record", get(donors::show)),
        r(Method::GET, "/donors/{number}/edit", Perm(RegisterDonors), "Edit a donor's details form", get(registry::edit_form)),
        r(Method::POST, "/donors/{number}/edit", Perm(RegisterDonors), "Record a new version of a donor's details", post(registry::edit)),
        r(Method::POST, "/donors/{number}/merge", Perm(MergeDonors), "Merge a duplicate record into this donor", post(registry::merge)),
        r(Method::POST, "/donors/{number}/blood-groups", Perm(RecordTyping), "Record a blood group determination", post(registry::blood_group)),
        r(Method::POST, "/donors/{number}/attributes", Perm(RecordTyping), "Record special attributes", post(registry::attributes)),
        r(
            Method::POST,
            "/donors/{number}/blood-group-resolution",
            Perm(ResolveBloodGroups),
            "Resolve a blood group discrepancy",
            post(registry::resolve),
        ),
        r(Method::POST, "/donors/{number}/deferrals", Perm(DeferDonors), "Enter a deferral", post(donors::defer)),
        r(Method::POST, "/deferrals/{id}/reentry", Perm(ReenterDonors), "Reenter an indefinitely deferred donor", post(donors::reenter)),
        r(
            Method::POST,
            "/deferrals/{id}/correction",
            Perm(ReenterDonors),
            "Mark a register entry as entered in error",
            post(donors::correct_deferral),
        ),
        r(Method::GET, "/donors/{number}/screening", Perm(ScreenDonors), "Screening form: questions and measurements", get(screening::new_form)),
        r(Method::POST, "/donors/{number}/screening", Perm(ScreenDonors), "Record a screening visit and its decision", post(screening::record)),
        r(Method::GET, "/screenings/{id}", Perm(ViewDonors), "A screening visit and its decision", get(screening::show)),
        r(
            Method::POST,
            "/screenings/{id}/collection",
            Perm(CollectDonations),
            "Collect from an eligible screening (assigns the DIN)",
            post(screening::collect),
        ),
        r(Method::GET, "/quality/rules", Perm(EvaluateEligibility), "Eligibility rule and questionnaire versions", get(screening::rules)),
        r(Method::POST, "/quality/rules", Perm(ManageEligibilityRules), "Store a new rule or questionnaire version", post(screening::add_version)),
        r(Method::GET, "/lab/labels", Perm(PrintLabels), "Unit label form", get(labels::labels_form)),
        r(Method::POST, "/lab/labels", Perm(PrintLabels), "Preview or download a unit label", post(labels::labels_submit)),
        r(Method::GET, "/lab/dins", Perm(AssignDins), "DIN assignment and pre-printed label sets", get(labels::dins)),
        r(Method::POST, "/lab/dins", Perm(AssignDins), "Assign the next DIN or record a pre-printed one", post(labels::assign)),
        r(Method::POST, "/lab/dins/sets", Perm(ManageDinLabelSets), "Register a pre-printed DIN label set", post(labels::register_set)),
        r(Method::GET, "/admin/users", Perm(ManageUsers), "Users and API tokens", get(pages::users::list)),
        r(Method::POST, "/admin/users", Perm(ManageUsers), "Create a user", post(pages::users::create)),
        r(Method::GET, "/admin/users/{username}", Perm(ManageUsers), "Edit a user", get(pages::users::edit_form)),
        r(Method::POST, "/admin/users/{username}", Perm(ManageUsers), "Change a user's name, email, roles or hospital", post(pages::users::update)),
        r(Method::POST, "/admin/users/{username}/active", Perm(ManageUsers), "Activate or deactivate a user", post(pages::users::set_active)),
        r(Method::POST, "/admin/users/{username}/password", Perm(ManageUsers), "Set a new password for a user", post(pages::users::reset_password)),
        r(Method::GET, "/account", Signed, "Your account", get(pages::users::account)),
        r(Method::POST, "/account/password", Signed, "Change your own password", post(pages::users::change_password)),
        r(Method::POST, "/admin/tokens", Perm(ManageUsers), "Create an API token", post(pages::users::create_token)),
        r(Method::POST, "/admin/tokens/{id}/revoke", Perm(ManageUsers), "Revoke an API token", post(pages::users::revoke_token)),
        r(Method::GET, "/api/v1/openapi.json", Public, "This API's OpenAPI document", get(api::openapi)),
        r(Method::GET, "/api/v1/me", Signed, "The calling user", get(api::me)),
        r(Method::GET, "/api/v1/sites", Perm(ViewSites), "List sites", get(api::list_sites)),
        r(Method::POST, "/api/v1/sites", Perm(ManageSites), "Create a site", post(api::create_site)),
        r(Method::GET, "/api/v1/sites/{id}", Perm(ViewSites), "Get a site with its version history", get(api::get_site)),
        r(Method::PUT, "/api/v1/sites/{id}", Perm(ManageSites), "Record a new site version", put(api::update_site)),
        r(Method::GET, "/api/v1/hospitals", any_hospital, "List hospital accounts (hospital users: their own)", get(api::list_hospitals)),
        r(Method::POST, "/api/v1/hospitals", Perm(ManageHospitals), "Create a hospital account", post(api::create_hospital)),
        r(Method::GET, "/api/v1/hospitals/{id}", any_hospital, "Get a hospital account with its version history", get(api::get_hospital)),
        r(Method::PUT, "/api/v1/hospitals/{id}", Perm(ManageHospitals), "Record a new hospital version", put(api::update_hospital)),
        r(Method::GET, "/api/v1/users", Perm(ManageUsers), "List users", get(api::list_users)),
        r(Method::POST, "/api/v1/users", Perm(ManageUsers), "Create a user", post(api::create_user)),
        r(Method::GET, "/api/v1/users/{username}", Perm(ManageUsers), "Get a user", get(api::get_user)),
        r(Method::PUT, "/api/v1/users/{username}", Perm(ManageUsers), "Change a user's name, email, roles or hospital", put(api::update_user)),
        r(Method::POST, "/api/v1/users/{username}/active", Perm(ManageUsers), "Activate or deactivate a user", post(api::set_user_active)),
        r(Method::POST, "/api/v1/users/{username}/password", Perm(ManageUsers), "Set a new password for a user", post(api::reset_password)),
        r(Method::GET, "/api/v1/tokens", Perm(ManageUsers), "List API tokens", get(api::list_tokens)),
        r(Method::POST, "/api/v1/tokens", Perm(ManageUsers), "Create an API token", post(api::create_token)),
        r(Method::POST, "/api/v1/tokens/{id}/revoke", Perm(ManageUsers), "Revoke an API token", post(api::revoke_token)),
        r(Method::POST, "/api/v1/labels", Perm(PrintLabels), "Render a unit label (?format=pdf|svg|zpl)", post(labels::api_label)),
        r(Method::POST, "/api/v1/labels/verify", Perm(PrintLabels), "Check label scans against a unit's DIN and product", post(labels::api_verify)),
        r(Method::POST, "/api/v1/dins", Perm(AssignDins), "Assign the next DIN", post(labels::api_assign_din)),
        r(Method::POST, "/api/v1/dins/preprinted", Perm(AssignDins), "Record a pre-printed DIN label as used", post(labels::api_preprinted)),
        r(Method::GET, "/api/v1/din-label-sets", Perm(AssignDins), "List pre-printed DIN label sets", get(labels::api_label_sets)),
        r(Method::POST, "/api/v1/din-label-sets", Perm(ManageDinLabelSets), "Register a pre-printed DIN label set", post(labels::api_register_set)),
        r(Method::GET, "/api/v1/donors", Perm(ViewDonors), "Search donors (?q=number, DIN, phone or name)", get(donors::api_search)),
        r(Method::POST, "/api/v1/donors", Perm(RegisterDonors), "Register a donor (409 with possible duplicates)", post(donors::api_register)),
        r(
            Method::GET,
            "/api/v1/donors/{number}",
            Perm(ViewDonors),
            "A donor with donations and the next possible date per procedure",
            get(donors::api_donor),
        ),
        r(
            Method::POST,
            "/api/v1/donors/{number}/collections",
            Perm(CollectDonations),
            "Record a donation after screening (eligibility checked)",
            post(donors::api_collect),
        ),
        r(
            Method::GET,
            "/api/v1/donors/rare",
            Perm(ViewDonors),
            "Rare-donor search (abo, rhd, antigens, cmv, hbs, iga, hla)",
            get(registry::api_rare),
        ),
        r(
            Method::PATCH,
            "/api/v1/donors/{number}",
            Perm(RegisterDonors),
            "Change a donor's details (a new version; reason required)",
            patch(registry::api_edit),
        ),
        r(Method::GET, "/api/v1/donors/{number}/versions", Perm(ViewDonors), "Versions of a donor's details", get(registry::api_versions)),
        r(Method::POST, "/api/v1/donors/{number}/merge", Perm(MergeDonors), "Merge a duplicate record into this donor", post(registry::api_merge)),
        r(
            Method::POST,
            "/api/v1/donors/{number}/blood-groups",
            Perm(RecordTyping),
            "Record a blood group determination",
            post(registry::api_blood_group),
        ),
        r(
            Method::POST,
            "/api/v1/donors/{number}/blood-group-resolution",
            Perm(ResolveBloodGroups),
            "Resolve a blood group discrepancy with the correct group",
            post(registry::api_resolve),
        ),
        r(
            Method::POST,
            "/api/v1/donors/{number}/attributes",
            Perm(RecordTyping),
            "Record special attributes (antigens, CMV, HbS, IgA, HLA)",
            post(registry::api_attributes),
        ),
        r(Method::POST, "/api/v1/donors/{number}/deferrals", Perm(DeferDonors), "Enter a deferral in the register", post(donors::api_defer)),
        r(Method::POST, "/api/v1/deferrals/{id}/reentry", Perm(ReenterDonors), "Reenter an indefinitely deferred donor", post(donors::api_reenter)),
        r(
            Method::POST,
            "/api/v1/deferrals/{id}/correction",
            Perm(ReenterDonors),
            "Mark a register entry as entered in error",
            post(donors::api_correct_deferral),
        ),
        r(
            Method::POST,
            "/api/v1/donors/{number}/screenings",
            Perm(ScreenDonors),
            "Record a screening visit and its decision",
            post(screening::api_record),
        ),
        r(Method::GET, "/api/v1/donors/{number}/screenings", Perm(ViewDonors), "A donor's screening visits", get(screening::api_list)),
        r(Method::GET, "/api/v1/screenings/{id}", Perm(ViewDonors), "A screening visit and its decision", get(screening::api_get)),
        r(
            Method::POST,
            "/api/v1/screenings/{id}/collection",
            Perm(CollectDonations),
            "Collect from an eligible screening on its day (assigns the DIN)",
            post(screening::api_collect),
        ),
        r(Method::GET, "/api/v1/questionnaire", Perm(ViewDonors), "The donor questions in force today", get(screening::api_questionnaire)),
        r(Method::GET, "/api/v1/questionnaires", Perm(ViewDonors), "Questionnaire versions", get(screening::api_questionnaire_versions)),
        r(
            Method::POST,
            "/api/v1/questionnaires",
            Perm(ManageEligibilityRules),
            "Store a new questionnaire version",
            post(screening::api_add_questionnaire_version),
        ),
        r(
            Method::GET,
            "/api/v1/rules/eligibility/versions",
            Perm(EvaluateEligibility),
            "Eligibility rule versions",
            get(screening::api_rule_versions),
        ),
        r(
            Method::POST,
            "/api/v1/rules/eligibility/versions",
            Perm(ManageEligibilityRules),
            "Store a new eligibility rule version (proved by its cases)",
            post(screening::api_add_rule_version),
        ),
        r(Method::POST, "/api/v1/rules/eligibility", Perm(EvaluateEligibility), "Decide donor eligibility for a case", post(api::eligibility)),
        r(Method::GET, "/api/v1/audit", Perm(ViewAudit), "Search the audit trail", get(api::audit)),
        r(Method::GET, "/recruitment", Perm(ViewRecruitment), "Recruitment: needs, campaigns, segments", get(rec::page)),
        r(Method::POST, "/recruitment/targets", Perm(ManageRecruitment), "Set a weekly collection target", post(rec::set_target)),
        r(Method::GET, "/recruitment/segments/new", Perm(ManageRecruitment), "New segment form", get(rec::segments_new)),
        r(Method::POST, "/recruitment/segments", Perm(ManageRecruitment), "Preview or save a segment", post(rec::segments_create)),
        r(Method::GET, "/recruitment/segments/{id}", Perm(ViewRecruitment), "A segment with its donors today", get(rec::segment_show)),
        r(Method::POST, "/recruitment/segments/{id}", Perm(ManageRecruitment), "Preview or save a segment's changes", post(rec::segment_update)),
        r(Method::GET, "/recruitment/campaigns/new", Perm(ManageRecruitment), "New campaign form", get(rec::campaign_new)),
        r(Method::POST, "/recruitment/campaigns", Perm(ManageRecruitment), "Create and send a campaign", post(rec::campaign_create)),
        r(Method::GET, "/recruitment/campaigns/{id}", Perm(ViewRecruitment), "Campaign dashboard and contacts", get(rec::campaign_show)),
        r(Method::POST, "/recruitment/contacts/{id}/outcome", Perm(ManageRecruitment), "Record a call outcome", post(rec::call_outcome)),
        r(Method::GET, "/unsubscribe/{token}", Public, "Unsubscribe confirmation (link in campaign emails)", get(rec::unsubscribe_form)),
        r(Method::POST, "/unsubscribe/{token}", Public, "Withdraw email consent (one-click unsubscribe)", post(rec::unsubscribe)),
        r(Method::GET, "/api/v1/recruitment/scores", Perm(ViewRecruitment), "Return propensity per donor (?as_of=)", get(rec::api_scores)),
        r(Method::GET, "/api/v1/recruitment/needs", Perm(ViewRecruitment), "Targets against expected collections", get(rec::api_needs)),
        r(Method::PUT, "/api/v1/recruitment/targets", Perm(ManageRecruitment), "Set a weekly collection target", put(rec::api_set_target)),
        r(Method::GET, "/api/v1/segments", Perm(ViewRecruitment), "List segments", get(rec::api_segments)),
        r(Method::POST, "/api/v1/segments", Perm(ManageRecruitment), "Save a segment", post(rec::api_create_segment)),
        r(Method::POST, "/api/v1/segments/preview", Perm(ViewRecruitment), "Count and sample of a filter", post(rec::api_preview)),
        r(Method::GET, "/api/v1/segments/{id}", Perm(ViewRecruitment), "A segment with its preview", get(rec::api_segment)),
        r(Method::PUT, "/api/v1/segments/{id}", Perm(ManageRecruitment), "Change a segment", put(rec::api_update_segment)),
        r(Method::GET, "/api/v1/campaigns", Perm(ViewRecruitment), "Campaigns with their figures", get(rec::api_campaigns)),
        r(Method::POST, "/api/v1/campaigns", Perm(ManageRecruitment), "Create and send a campaign", post(rec::api_create_campaign)),
        r(Method::GET, "/api/v1/campaigns/{id}", Perm(ViewRecruitment), "A campaign with its contacts", get(rec::api_campaign)),
        r(Method::GET, "/api/v1/campaigns/{id}/calls.csv", Perm(ViewRecruitment), "Call list of a phone campaign", get(rec::api_calls_csv)),
        r(Method::POST, "/api/v1/campaigns/{id}/bounces", Perm(ManageRecruitment), "Report a bounce after sending", post(rec::api_bounce)),
        r(Method::POST, "/api/v1/contacts/{id}/outcome", Perm(ManageRecruitment), "Record a call outcome", post(rec::api_call_outcome)),
        r(
            Method::GET,
            "/api/v1/sites/{id}/schedule",
            Perm(ViewSites),
            "A site's opening hours, capacity and drives",
            get(appointments::api_schedule),
        ),
        r(
            Method::PUT,
            "/api/v1/sites/{id}/schedule",
            Perm(ManageSchedules),
            "Record a new weekly schedule of a fixed site",
            put(appointments::api_set_schedule),
        ),
        r(Method::POST, "/api/v1/sites/{id}/drives", Perm(ManageSchedules), "Plan a mobile drive session", post(appointments::api_add_drive)),
        r(
            Method::GET,
            "/api/v1/appointments",
            Perm(BookAppointments),
            "A site's day: slot grid and appointments (?site=&date=)",
            get(appointments::api_grid),
        ),
        r(Method::POST, "/api/v1/appointments", Perm(BookAppointments), "Book a donor into a slot", post(appointments::api_book)),
        r(Method::POST, "/api/v1/appointments/{id}/cancel", Perm(BookAppointments), "Cancel an appointment", post(appointments::api_cancel)),
        r(
            Method::POST,
            "/api/v1/appointments/{id}/attendance",
            Perm(BookAppointments),
            "Record attendance or a no-show",
            post(appointments::api_attendance),
        ),
        r(
            Method::POST,
            "/api/v1/donors/{number}/booking-links",
            Perm(BookAppointments),
            "Create a personal booking link",
            post(appointments::api_booking_link),
        ),
        r(Method::GET, "/appointments", Perm(BookAppointments), "Appointments: slot grid and booking", get(appointments::page)),
        r(Method::POST, "/appointments", Perm(BookAppointments), "Book a donor", post(appointments::book)),
        r(Method::POST, "/appointments/{id}/cancel", Perm(BookAppointments), "Cancel an appointment", post(appointments::cancel)),
        r(Method::POST, "/appointments/{id}/attendance", Perm(BookAppointments), "Record attendance", post(appointments::attendance)),
        r(Method::POST, "/appointments/schedule", Perm(ManageSchedules), "Save a site's weekly schedule", post(appointments::set_schedule)),
        r(Method::POST, "/appointments/drives", Perm(ManageSchedules), "Plan a mobile drive", post(appointments::add_drive)),
        r(
            Method::POST,
            "/donors/{number}/booking-links",
            Perm(BookAppointments),
            "Create a booking link for a donor",
            post(appointments::create_link),
        ),
        r(Method::GET, "/book/{token}", Public, "Donor's booking page (personal link)", get(appointments::public_offer)),
        r(Method::POST, "/book/{token}", Public, "Book from a personal link", post(appointments::public_book)),
        r(Method::GET, "/book/cancel/{token}", Public, "Cancel an appointment from its email link", get(appointments::public_cancel_form)),
        r(Method::POST, "/book/cancel/{token}", Public, "Cancel an appointment from its email link", post(appointments::public_cancel)),
    ]
}

/// The table without handlers, for the guard, the OpenAPI document and tests.
pub fn specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(s, _)| s).collect()
}
