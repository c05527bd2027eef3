//! The donor registry over HTTP: editing details (versioned), merging duplicates,
//! blood group determinations and special attributes, and the rare-donor search.

use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::registry::{AttributesInput, BloodGroupInput, DonorDetails, DonorPatch, DonorVersion, MergeInput, RareDonor, ResolutionInput};
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use domain::Permission;

/// The registry's part of the donor page: who may do what, the versions, and the
/// message after a refused registry form.
pub struct RegistryPanel {
    pub can_edit: bool,
    pub can_merge: bool,
    pub can_type: bool,
    pub can_resolve: bool,
    pub versions: Vec<DonorVersion>,
    pub error: Option<String>,
}

impl RegistryPanel {
    pub async fn load(s: &AppState, p: &Principal, number: &str, error: Option<String>) -> Result<Self, AppError> {
        Ok(Self {
            can_edit: p.actor.can(Permission::RegisterDonors),
            can_merge: p.actor.can(Permission::MergeDonors),
            can_type: p.actor.can(Permission::RecordTyping),
            can_resolve: p.actor.can(Permission::ResolveBloodGroups),
            versions: s.app.donor_versions(&p.actor, number).await?,
            error,
        })
    }
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn one(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// `PATCH /api/v1/donors/{number}`: a new version of the donor's details.
pub async fn api_edit(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(patch): ApiJson<DonorPatch>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.edit_donor(&p.actor, &number, &patch).await?))
}

pub async fn api_versions(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.donor_versions(&p.actor, &number).await?))
}

pub async fn api_merge(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> Result<impl IntoResponse, ApiError> {
    let merged_from = s.app.merge_donors(&p.actor, &number, &input).await?;
    Ok(Json(serde_json::json!({"donor_number": number.trim(), "merged_from": merged_from})))
}

pub async fn api_blood_group(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<BloodGroupInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_blood_group(&p.actor, &number, &input).await?)))
}

pub async fn api_resolve(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<ResolutionInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.resolve_blood_group(&p.actor, &number, &input).await?))
}

pub async fn api_attributes(
    State(s): State<AppState>,
    p: Principal,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<AttributesInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.record_attributes(&p.actor, &number, &input).await?)))
}

pub async fn api_rare(State(s): State<AppState>, p: Principal, RawQuery(q): RawQuery) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.app.rare_donors(&p.actor, &pairs(q.as_deref())).await?))
}

#[derive(Template)]
#[template(path = "donor_merged.html")]
pub struct MergedPage {
    pub layout: Layout,
    pub number: String,
    pub survivor: String,
}

/// The page for a number merged into another record, if `number` is one.
pub async fn merged_page(s: &AppState, p: &Principal, number: &str) -> Result<Option<Response>, AppError> {
    let r = s.app.resolve_donor(number).await?;
    match r.merged_number {
        Some(n) => {
            let page = MergedPage { layout: Layout::new(p, "donors"), number: n, survivor: r.donor.donor_number };
            Ok(Some(render_page(&page).map_err(|e| e.0)?))
        }
        None => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "donor_edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub number: String,
    pub name: String,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
}

fn edit_fields(d: &DonorDetails, sites: &[(String, String)], reason: &str) -> Vec<FieldView> {
    let consent: Vec<&str> = [("email", d.consent.email), ("sms", d.consent.sms), ("phone", d.consent.phone), ("post", d.consent.post)]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(c, _)| c)
        .collect();
    let mut site_options = vec![(String::new(), "— none —".to_string())];
    site_options.extend(sites.iter().cloned());
    let birth = d.birth_date.to_string();
    vec![
        FieldView::text("first_name", "First name", &d.first_name).required(),
        FieldView::text("last_name", "Last name", &d.last_name).required(),
        FieldView::text("birth_date", "Birth date", &birth).required().kind("date"),
        FieldView::text("sex", "Sex", &d.sex).required().select(vec![("F".into(), "F".into()), ("M".into(), "M".into())]),
        FieldView::text("email", "Email", d.email.as_deref().unwrap_or("")).kind("email"),
        FieldView::text("phone", "Phone", d.phone.as_deref().unwrap_or("")),
        FieldView::text("address", "Postal address", d.address.as_deref().unwrap_or("")).kind("textarea"),
        FieldView::text("id_document", "Proof of identity", d.id_document.as_deref().unwrap_or("")),
        FieldView::text("consent", "Contact consent", &consent.join(",")).checkboxes(
            [("email", "email"), ("sms", "SMS"), ("phone", "phone"), ("post", "post")].iter().map(|(v, l)| (v.to_string(), l.to_string())).collect(),
        ),
        FieldView::text("preferred_site", "Preferred site", d.preferred_site.as_deref().unwrap_or("")).select(site_options),
        FieldView::text("reason", "Reason for the change", reason).required().help("Kept with this version, e.g. \"donor moved\"."),
    ]
}

async fn site_options(s: &AppState, p: &Principal) -> Result<Vec<(String, String)>, AppError> {
    Ok(s.app.list_sites(&p.actor).await?.into_iter().map(|x| (x.fields.code.as_str().to_string(), x.fields.name.clone())).collect())
}

pub async fn edit_form(State(s): State<AppState>, p: Principal, Path(number): Path<String>) -> PageResult {
    s.app.refuse_merged(&number).await?;
    let profile = s.app.donor_profile(&p.actor, &number).await?;
    let sites = site_options(&s, &p).await?;
    render_page(&EditPage {
        layout: Layout::new(&p, "donors"),
        number: profile.donor.donor_number.clone(),
        name: format!("{} {}", profile.donor.first_name, profile.donor.last_name),
        fields: edit_fields(&profile.details, &sites, ""),
        error: None,
    })
}

pub async fn edit(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let patch = DonorPatch {
        first_name: Some(one(&f, "first_name")),
        last_name: Some(one(&f, "last_name")),
        birth_date: Some(one(&f, "birth_date")),
        sex: Some(one(&f, "sex")),
        email: Some(one(&f, "email")),
        phone: Some(one(&f, "phone")),
        address: Some(one(&f, "address")),
        id_document: Some(one(&f, "id_document")),
        consent: Some(f.iter().filter(|(k, _)| k == "consent").map(|(_, v)| v.clone()).collect()),
        preferred_site: Some(one(&f, "preferred_site")),
        reason: one(&f, "reason"),
    };
    match s.app.edit_donor(&p.actor, &number, &patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/donors/{}", number.trim())).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let profile = s.app.donor_profile(&p.actor, &number).await?;
            let sites = site_options(&s, &p).await?;
            // Show what the person typed, not the stored values.
            let typed = DonorDetails {
                first_name: patch.first_name.clone().unwrap_or_default(),
                last_name: patch.last_name.clone().unwrap_or_default(),
                birth_date: profile.details.birth_date,
                sex: patch.sex.clone().unwrap_or_default(),
                email: patch.email.clone(),
                phone: patch.phone.clone(),
                address: patch.address.clone(),
                id_document: patch.id_document.clone(),
                consent: app::registry::Consent {
                    email: f.iter().any(|(k, v)| k == "consent" && v == "email"),
                    sms: f.iter().any(|(k, v)| k == "consent" && v == "sms"),
                    phone: f.iter().any(|(k, v)| k == "consent" && v == "phone"),
                    post: f.iter().any(|(k, v)| k == "consent" && v == "post"),
                },
                preferred_site: patch.preferred_site.clone(),
            };
            let mut fields = edit_fields(&typed, &sites, &patch.reason);
            if let Some(b) = fields.iter_mut().find(|x| x.name == "birth_date") {
                b.value = one(&f, "birth_date");
            }
            let error = Some(error_text(&mut fields, &e));
            let page = EditPage {
                layout: Layout::new(&p, "donors"),
                number: profile.donor.donor_number.clone(),
                name: format!("{} {}", profile.donor.first_name, profile.donor.last_name),
                fields,
                error,
            };
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// After a registry form on the donor page: back to the page, or the page again with
/// the refusal (422 for bad input, 409 for a conflict).
async fn after_form<T>(s: &AppState, p: &Principal, number: &str, r: Result<T, AppError>) -> PageResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/donors/{}", number.trim())).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = if matches!(e, AppError::Invalid(_)) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::CONFLICT };
            let mut fields = vec![];
            let message = error_text(&mut fields, &e);
            let page = crate::donors::donor_page_with(s, p, number, Some(message)).await?;
            render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn merge(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let input = MergeInput {
        duplicate: one(&f, "duplicate"),
        reason: one(&f, "reason"),
        confirm_different_details: one(&f, "confirm_different_details") == "on",
    };
    let r = s.app.merge_donors(&p.actor, &number, &input).await;
    after_form(&s, &p, &number, r).await
}

pub async fn blood_group(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let opt = |k: &str| Some(one(&f, k)).filter(|v| !v.trim().is_empty());
    let input =
        BloodGroupInput { abo: one(&f, "abo"), rhd: one(&f, "rhd"), determined_on: opt("determined_on"), source: opt("source"), din: opt("din") };
    let r = s.app.record_blood_group(&p.actor, &number, &input).await;
    after_form(&s, &p, &number, r).await
}

pub async fn resolve(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let input = ResolutionInput { abo: one(&f, "abo"), rhd: one(&f, "rhd"), reason: one(&f, "reason") };
    let r = s.app.resolve_blood_group(&p.actor, &number, &input).await;
    after_form(&s, &p, &number, r).await
}

pub async fn attributes(State(s): State<AppState>, p: Principal, Path(number): Path<String>, body: axum::body::Bytes) -> PageResult {
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let opt = |k: &str| Some(one(&f, k)).filter(|v| !v.trim().is_empty());
    let input = AttributesInput {
        antigens: opt("antigens"),
        cmv: opt("cmv"),
        hbs: opt("hbs"),
        iga: opt("iga"),
        hla: opt("hla"),
        determined_on: opt("determined_on"),
        source: opt("source"),
        din: opt("din"),
    };
    let r = s.app.record_attributes(&p.actor, &number, &input).await;
    after_form(&s, &p, &number, r).await
}

#[derive(Template)]
#[template(path = "donors_rare.html")]
pub struct RarePage {
    pub layout: Layout,
    pub q: Vec<(String, String)>,
    pub searched: bool,
    pub donors: Vec<RareDonor>,
    pub error: Option<String>,
}

impl RarePage {
    pub fn value(&self, k: &str) -> String {
        one(&self.q, k)
    }
}

pub async fn rare(State(s): State<AppState>, p: Principal, RawQuery(q): RawQuery) -> PageResult {
    let q = pairs(q.as_deref());
    let searched = q.iter().any(|(_, v)| !v.trim().is_empty());
    let mut page = RarePage { layout: Layout::new(&p, "donors"), q, searched, donors: vec![], error: None };
    if !page.searched {
        return render_page(&page);
    }
    match s.app.rare_donors(&p.actor, &page.q).await {
        Ok(d) => {
            page.donors = d;
            render_page(&page)
        }
        Err(e @ AppError::Invalid(_)) => {
            page.error = Some(e.to_string());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
