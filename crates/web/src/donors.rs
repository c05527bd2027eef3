//! Donor search and the donor page (API and UI).

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::donors::{DeferralInput, DonorProfile, DonorSummary, NewDonorInput, RegisterError};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// A worklist instead of a search (`discrepancies`, `waiting`, …; see app::dashboard).
    #[serde(default)]
    list: Option<String>,
    #[serde(default)]
    site: String,
    #[serde(default)]
    date: String,
}

pub async fn api_search(State(s): State<AppState>, p: Principal, Query(q): Query<SearchQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.search_donors(&p.actor, &q.q).await?))
}

pub async fn api_donor(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donor_profile(&p.actor, &number).await?))
}

#[derive(Template)]
#[template(path = "donors.html")]
pub struct DonorsPage {
    pub layout: Layout,
    pub q: String,
    pub searched: bool,
    pub donors: Vec<DonorSummary>,
    pub error: Option<String>,
    pub can_register: bool,
    /// Set when the page shows a worklist (title, explanation).
    pub worklist: Option<(String, String)>,
}

pub async fn search(State(s): State<AppState>, p: Principal, Query(q): Query<SearchQuery>) -> PageResult {
    let mut page = DonorsPage {
        layout: Layout::new(&p, "donors"),
        q: q.q.clone(),
        searched: !q.q.trim().is_empty(),
        donors: vec![],
        error: None,
        can_register: p.actor.can(domain::Permission::RegisterDonors),
        worklist: None,
    };
    if let Some(list) = &q.list {
        page.searched = true;
        return match s.app.worklist(&p.actor, list, &q.site, &q.date).await {
            Ok(w) => {
                page.worklist = Some((w.title, w.explanation));
                page.donors = w.donors;
                render_page(&page)
            }
            Err(e @ (AppError::Invalid(_) | AppError::NotFound(_))) => {
                page.error = Some(e.to_string());
                render_status(crate::error::status_of(&e), &page)
            }
            Err(e) => Err(e.into()),
        };
    }
    if !page.searched {
        return render_page(&page);
    }
    match s.app.search_donors(&p.actor, &q.q).await {
        Ok(d) => {
            page.donors = d;
            render_page(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(e.to_string());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        // The search ran past the read limit: say so next to the box, so it can be narrowed.
        Err(e @ AppError::Unavailable(_)) => {
            page.error = Some(e.to_string());
            render_status(StatusCode::SERVICE_UNAVAILABLE, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "donor.html")]
pub struct DonorPage {
    pub layout: Layout,
    pub p: DonorProfile,
    pub can_defer: bool,
    pub can_reenter: bool,
    pub can_screen: bool,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
    pub reg: crate::registry::RegistryPanel,
    pub appointments: crate::appointments::DonorAppointments,
    /// Campaign contacts, for those who see recruitment.
    pub campaigns: Option<Vec<app::recruitment::DonorCampaignView>>,
    pub group: GroupBadge,
}

/// The donor's ABO/RhD as staff expect it on the record: large, in the conventional
/// label colour of the ABO group (O blue, A yellow, B pink, AB white), RhD spelt out
/// (never told by colour alone), and whether the registry has confirmed it.
pub struct GroupBadge {
    /// "O", "A", "B", "AB", or "?" when not known.
    pub abo: &'static str,
    /// "+" or "−" next to the letters; empty when not known.
    pub sign: &'static str,
    /// "RhD positive", "RhD negative" or "Blood group not known".
    pub rh_words: &'static str,
    pub negative: bool,
    /// CSS class for the colour: abo-o, abo-a, abo-b, abo-ab, abo-unknown.
    pub class: &'static str,
    /// How sure the registry is: "confirmed", "not confirmed", …
    pub status: &'static str,
    pub confirmed: bool,
}

impl GroupBadge {
    pub fn of(v: &app::registry::BloodGroupView) -> Self {
        use domain::typing::BloodGroupStatus as S;
        let status = match v.status {
            S::Confirmed => "confirmed",
            S::Unconfirmed => "not confirmed: one result so far",
            S::None => "not confirmed: no laboratory result on file",
            S::Discrepancy => "not confirmed: results disagree, quality must resolve",
        };
        let confirmed = v.status == S::Confirmed;
        match v.group.as_deref().and_then(|g| domain::BloodGroup::parse(g).ok()) {
            Some(g) => {
                let abo = g.abo_str();
                Self {
                    abo,
                    sign: if g.rhd_positive { "+" } else { "\u{2212}" },
                    rh_words: if g.rhd_positive { "RhD positive" } else { "RhD negative" },
                    negative: !g.rhd_positive,
                    class: match abo {
                        "O" => "abo-o",
                        "A" => "abo-a",
                        "B" => "abo-b",
                        _ => "abo-ab",
                    },
                    status,
                    confirmed,
                }
            }
            None => Self { abo: "?", sign: "", rh_words: "Blood group not known", negative: false, class: "abo-unknown", status, confirmed: false },
        }
    }
}

fn deferral_fields(f: &DeferralForm) -> Vec<FieldView> {
    let kinds = ["temporary", "indefinite", "permanent"].iter().map(|k| (k.to_string(), k.to_string())).collect();
    vec![
        FieldView::text("kind", "Kind", if f.kind.is_empty() { "temporary" } else { &f.kind }).required().select(kinds),
        FieldView::text("reason_code", "Reason code", &f.reason_code).required().help("e.g. LOW_HB, TATTOO, MED_ISOTRETINOIN"),
        FieldView::text("reason", "Reason", &f.reason).required().kind("textarea"),
        FieldView::text("until", "May give again from", &f.until).kind("date").help("Temporary deferrals only."),
    ]
}

async fn donor_page(s: &AppState, p: &Principal, number: &str, form: &DeferralForm, error: Option<&AppError>) -> Result<DonorPage, AppError> {
    let profile = s.app.donor_profile(&p.actor, number).await?;
    let mut fields = deferral_fields(form);
    let error = error.map(|e| error_text(&mut fields, e));
    Ok(DonorPage {
        layout: Layout::new(p, "donors"),
        group: GroupBadge::of(&profile.blood_group),
        p: profile,
        can_defer: p.actor.can(domain::Permission::DeferDonors),
        can_reenter: p.actor.can(domain::Permission::ReenterDonors),
        can_screen: p.actor.can(domain::Permission::ScreenDonors),
        fields,
        error,
        reg: crate::registry::RegistryPanel::load(s, p, number, None).await?,
        appointments: crate::appointments::donor_appointments(s, p, number).await?,
        campaigns: if p.actor.can(domain::Permission::ViewRecruitment) { Some(s.app.donor_campaigns(&p.actor, number).await?) } else { None },
    })
}

/// The donor page with a message from a refused registry form.
pub async fn donor_page_with(s: &AppState, p: &Principal, number: &str, registry_error: Option<String>) -> Result<DonorPage, AppError> {
    let mut page = donor_page(s, p, number, &DeferralForm::default(), None).await?;
    page.reg.error = registry_error;
    Ok(page)
}

pub async fn show(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    if let Some(page) = crate::registry::merged_page(&s, &p, &number).await? {
        return Ok(page);
    }
    render_page(&donor_page(&s, &p, &number, &DeferralForm::default(), None).await?)
}

#[derive(Deserialize, Default)]
pub struct DeferralForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: String,
}

pub async fn defer(State(s): State<AppState>, p: Principal, Path(number): Path<String>, Form(f): Form<DeferralForm>) -> PageResult {
    let input = DeferralInput {
        kind: f.kind.clone(),
        reason_code: f.reason_code.clone(),
        reason: f.reason.clone(),
        starts_on: None,
        until: Some(f.until.clone()),
    };
    match s.app.defer_donor(&p.actor, &number, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/donors/{}", number.trim())).into_response()),
        Err(e @ AppError::Invalid(_)) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &donor_page(&s, &p, &number, &f, Some(&e)).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ReentryForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    donor: String,
}

pub async fn reenter(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(f): Form<ReentryForm>) -> PageResult {
    let id = crate::api::parse_id("deferral", &id)?;
    s.app.reenter_donor(&p.actor, id, &f.reason).await?;
    Ok(Redirect::to(&format!("/donors/{}", f.donor.trim())).into_response())
}

/// Marks a register entry as entered in error, from the donor page.
pub async fn correct_deferral(State(s): State<AppState>, p: Principal, Path(id): Path<String>, Form(f): Form<ReentryForm>) -> PageResult {
    let id = crate::api::parse_id("deferral", &id)?;
    s.app.correct_deferral(&p.actor, id, &f.reason).await?;
    Ok(Redirect::to(&format!("/donors/{}", f.donor.trim())).into_response())
}

pub async fn api_defer(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<DeferralInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.defer_donor(&p.actor, &number, &input).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReentryBody {
    reason: String,
}

pub async fn api_reenter(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReentryBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = crate::api::parse_id("deferral", &id)?;
    Ok(Json(s.app.reenter_donor(&p.actor, id, &b.reason).await?))
}

/// `POST /api/v1/deferrals/{id}/correction` with `{"reason"}`: marks the entry as
/// entered in error; the register keeps it beside the correction.
pub async fn api_correct_deferral(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReentryBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = crate::api::parse_id("deferral", &id)?;
    Ok(Json(s.app.correct_deferral(&p.actor, id, &b.reason).await?))
}

/// `POST /api/v1/donors`: 201 with the new donor; 409 with `duplicates` when the donor
/// may be on file (send `not_a_duplicate: true` after checking them).
pub async fn api_register(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<NewDonorInput>,
) -> Result<axum::response::Response, ApiError> {
    match s.app.register_donor(&p.actor, &input).await {
        Ok(d) => Ok((StatusCode::CREATED, Json(d)).into_response()),
        Err(RegisterError::Refused(e)) => Err(ApiError(e)),
        Err(RegisterError::PossibleDuplicates(d)) => {
            let detail = format!(
                "possible duplicates: {}; check them, then send not_a_duplicate: true to register anyway",
                d.0.iter().map(|x| x.donor_number.as_str()).collect::<Vec<_>>().join(", ")
            );
            let mut body = serde_json::to_value(crate::error::Problem::new(StatusCode::CONFLICT, "possible-duplicate", detail)).expect("serialises");
            body["duplicates"] = serde_json::to_value(&d.0).expect("serialises");
            let mut res = (StatusCode::CONFLICT, Json(body)).into_response();
            res.headers_mut().insert(axum::http::header::CONTENT_TYPE, "application/problem+json".parse().expect("static"));
            Ok(res)
        }
    }
}

#[derive(Template)]
#[template(path = "donor_new.html")]
pub struct NewDonorPage {
    pub layout: Layout,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
    pub duplicates: Vec<DonorSummary>,
    /// The consent boxes ticked, kept when the form comes back with errors.
    pub consent: Vec<String>,
}

impl NewDonorPage {
    fn consents(&self, channel: &str) -> bool {
        self.consent.iter().any(|c| c == channel)
    }
}

#[derive(Deserialize, Default)]
pub struct NewDonorForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    id_document: String,
}

fn new_donor_fields(f: &NewDonorForm) -> Vec<FieldView> {
    vec![
        FieldView::text("first_name", "First name", &f.first_name).required(),
        FieldView::text("last_name", "Last name", &f.last_name).required(),
        FieldView::text("birth_date", "Birth date", &f.birth_date).required().kind("date"),
        FieldView::text("sex", "Sex", if f.sex.is_empty() { "F" } else { &f.sex })
            .required()
            .select(vec![("F".into(), "F".into()), ("M".into(), "M".into())]),
        FieldView::text("email", "Email", &f.email).kind("email"),
        FieldView::text("phone", "Phone", &f.phone),
        FieldView::text("address", "Postal address", &f.address)
            .kind("textarea")
            .help("Must be valid for 8 weeks after donation (21 CFR 630.10(g)(1))."),
        FieldView::text("id_document", "Proof of identity", &f.id_document).help("e.g. driver's licence and its number"),
    ]
}

pub async fn new_form(p: Principal) -> PageResult {
    render_page(&NewDonorPage {
        layout: Layout::new(&p, "donors"),
        fields: new_donor_fields(&NewDonorForm::default()),
        error: None,
        duplicates: vec![],
        consent: vec![],
    })
}

pub async fn register(State(s): State<AppState>, p: Principal, body: axum::body::Bytes) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = NewDonorForm {
        first_name: one("first_name"),
        last_name: one("last_name"),
        birth_date: one("birth_date"),
        sex: one("sex"),
        email: one("email"),
        phone: one("phone"),
        address: one("address"),
        id_document: one("id_document"),
    };
    let input = NewDonorInput {
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        birth_date: form.birth_date.clone(),
        sex: form.sex.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        address: form.address.clone(),
        id_document: form.id_document.clone(),
        consent: pairs.iter().filter(|(k, _)| k == "consent").map(|(_, v)| v.clone()).collect(),
        not_a_duplicate: one("not_a_duplicate") == "on",
    };
    let mut page = NewDonorPage {
        layout: Layout::new(&p, "donors"),
        fields: new_donor_fields(&form),
        error: None,
        duplicates: vec![],
        consent: input.consent.clone(),
    };
    match s.app.register_donor(&p.actor, &input).await {
        Ok(d) => Ok(Redirect::to(&format!("/donors/{}", d.donor_number)).into_response()),
        Err(RegisterError::Refused(e @ AppError::Invalid(_))) => {
            page.error = Some(error_text(&mut page.fields, &e));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(RegisterError::Refused(e)) => Err(e.into()),
        Err(RegisterError::PossibleDuplicates(d)) => {
            page.error =
                Some("This donor may already be on file. Check the donors below; register anyway only if none of them is this person.".into());
            page.duplicates = d.0;
            render_status(StatusCode::CONFLICT, &page)
        }
    }
}

/// `POST /api/v1/donors/{number}/collections` with `{"screening_id"}`: collects from the
/// donor's eligible screening visit of today (409 with every reason otherwise),
/// assigning its DIN. Every donation comes from a recorded screening visit.
pub async fn api_collect(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<app::collection::CollectionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.collect_for_donor(&p.actor, &number, &input).await?)))
}
