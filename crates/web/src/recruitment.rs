//! Recruitment over HTTP: segments, scores, campaigns (with call lists, call outcomes
//! and bounces), collection needs, and the public unsubscribe link.

use crate::api::{parse_id, ApiJson};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::pages::{error_text, render as render_page, render_status, FieldView, Layout, PageResult};
use crate::AppState;
use app::recruitment::{
    CallOutcomeInput, CampaignDetail, CampaignInput, CampaignView, NeedView, SegmentInput, SegmentPreview, SegmentView, TargetInput, CALL_OUTCOMES,
};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::Json;
use chrono::NaiveDate;
use domain::{BloodGroup, DonationProcedure, FieldError, Permission};
use render::chart::{Bar, BarChart};
use serde::Deserialize;

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, Default)]
pub struct ScoresQuery {
    #[serde(default)]
    as_of: Option<String>,
}

/// `GET /api/v1/recruitment/scores?as_of=YYYY-MM-DD` (default today).
pub async fn api_scores(State(s): State<AppState>, p: Principal, Query(q): Query<ScoresQuery>) -> ApiResult<impl IntoResponse> {
    let as_of = match q.as_of.as_deref().filter(|x| !x.trim().is_empty()) {
        Some(x) => NaiveDate::parse_from_str(x.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::from(FieldError::new("as_of", format!("'{x}' is not a date (YYYY-MM-DD)"))))?,
        None => chrono::Utc::now().with_timezone(&s.app.settings.time_zone).date_naive(),
    };
    Ok(Json(s.app.recruitment_scores(&p.actor, as_of).await?))
}

pub async fn api_segments(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_segments(&p.actor).await?))
}

pub async fn api_create_segment(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<SegmentInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.create_segment(&p.actor, &input).await?)))
}

/// A segment with its preview (count and best-scored sample today).
pub async fn api_segment(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let seg = s.app.segment(&p.actor, parse_id("segment", &id)?).await?;
    let preview = s.app.preview_filter(&p.actor, &seg.filter).await?;
    Ok(Json(serde_json::json!({"segment": seg, "preview": preview})))
}

pub async fn api_update_segment(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SegmentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.update_segment(&p.actor, parse_id("segment", &id)?, &input).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    filter: serde_json::Value,
}

/// `POST /api/v1/segments/preview`: count and sample of an unsaved filter.
pub async fn api_preview(State(s): State<AppState>, p: Principal, ApiJson(b): ApiJson<PreviewBody>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.preview_filter(&p.actor, &b.filter).await?))
}

pub async fn api_campaigns(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.list_campaigns(&p.actor).await?))
}

pub async fn api_create_campaign(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<CampaignInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.create_campaign(&p.actor, &input).await?)))
}

pub async fn api_campaign(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.campaign_detail(&p.actor, parse_id("campaign", &id)?).await?))
}

/// `GET /api/v1/campaigns/{id}/calls.csv`: the call list of a phone campaign.
pub async fn api_calls_csv(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let id = parse_id("campaign", &id)?;
    let csv = s.app.call_list_csv(&p.actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"calls-{id}.csv\"")),
        ],
        csv,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BounceBody {
    email: String,
}

/// `POST /api/v1/campaigns/{id}/bounces` `{email}`: a later bounce reported by the mail system.
pub async fn api_bounce(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<BounceBody>,
) -> ApiResult<impl IntoResponse> {
    let n = s.app.report_bounce(&p.actor, parse_id("campaign", &id)?, &b.email).await?;
    Ok(Json(serde_json::json!({"bounced": n})))
}

pub async fn api_call_outcome(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CallOutcomeInput>,
) -> ApiResult<impl IntoResponse> {
    let c = s.app.record_call_outcome(&p.actor, parse_id("contact", &id)?, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": c.id, "status": c.status, "contacted_at": c.contacted_at}))))
}

pub async fn api_needs(State(s): State<AppState>, p: Principal) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.needs(&p.actor).await?))
}

pub async fn api_set_target(State(s): State<AppState>, p: Principal, ApiJson(input): ApiJson<TargetInput>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.set_target(&p.actor, &input).await?))
}

// ---- pages ----

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn procedure_options() -> Vec<(String, String)> {
    DonationProcedure::ALL.iter().map(|p| (p.as_str().to_string(), crate::words::code(p.as_str()))).collect()
}

fn group_options() -> Vec<(String, String)> {
    BloodGroup::ALL.iter().map(|g| (g.to_string(), g.to_string())).collect()
}

#[derive(Template)]
#[template(path = "recruitment.html")]
pub struct RecruitmentPage {
    pub layout: Layout,
    pub can_manage: bool,
    pub needs: Vec<NeedView>,
    pub needs_chart: String,
    pub campaigns: Vec<CampaignView>,
    pub campaigns_chart: String,
    pub segments: Vec<SegmentView>,
    pub target_fields: Vec<FieldView>,
    pub error: Option<String>,
    /// Set when a filter from the dashboard narrows the lists.
    pub filter: Option<String>,
}

impl RecruitmentPage {
    pub fn pct(&self, x: &f64) -> String {
        pct(*x)
    }
    pub fn money(&self, x: &f64) -> String {
        format!("{x:.2}")
    }
}

#[derive(Deserialize, Default)]
pub struct TargetForm {
    #[serde(default)]
    blood_group: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    units_per_week: String,
}

fn target_fields(f: &TargetForm) -> Vec<FieldView> {
    vec![
        FieldView::text("blood_group", "Blood group", if f.blood_group.is_empty() { "O-" } else { &f.blood_group }).select(group_options()),
        FieldView::text("procedure", "Procedure", if f.procedure.is_empty() { "whole_blood" } else { &f.procedure }).select(procedure_options()),
        FieldView::text("units_per_week", "Target units per week", &f.units_per_week).kind("number").required(),
    ]
}

async fn recruitment_page(s: &AppState, p: &Principal, form: &TargetForm, error: Option<&AppError>) -> Result<RecruitmentPage, AppError> {
    let needs = s.app.needs(&p.actor).await?;
    let campaigns = s.app.list_campaigns(&p.actor).await?;
    let segments = s.app.list_segments(&p.actor).await?;
    let shortfall: Vec<Bar> = needs
        .iter()
        .filter(|n| n.gap > 0.0)
        .map(|n| Bar { label: format!("{} {}", n.blood_group, crate::words::code(&n.procedure).to_lowercase()), value: n.gap.round() as i64 })
        .collect();
    let needs_chart = if shortfall.is_empty() {
        String::new()
    } else {
        BarChart { title: "Shortfall, units per week".into(), bars: shortfall, shares: false }.to_svg()
    };
    let units: Vec<Bar> = campaigns.iter().take(12).map(|c| Bar { label: c.name.clone(), value: c.stats.units }).collect();
    let campaigns_chart = if units.iter().all(|b| b.value == 0) {
        String::new()
    } else {
        BarChart { title: "Units collected per campaign (30 days after contact)".into(), bars: units, shares: true }.to_svg()
    };
    let mut target_fields = target_fields(form);
    let error = error.map(|e| error_text(&mut target_fields, e));
    Ok(RecruitmentPage {
        layout: Layout::new(p, "recruitment"),
        can_manage: p.actor.can(Permission::ManageRecruitment),
        needs,
        needs_chart,
        campaigns,
        campaigns_chart,
        segments,
        target_fields,
        error,
        filter: None,
    })
}

/// Filters the dashboard's figures link to: `campaigns=running`, `needs=short`.
#[derive(Deserialize, Default)]
pub struct RecruitmentQuery {
    #[serde(default)]
    campaigns: Option<String>,
    #[serde(default)]
    needs: Option<String>,
}

pub async fn page(State(s): State<AppState>, p: Principal, Query(q): Query<RecruitmentQuery>) -> PageResult {
    let mut page = recruitment_page(&s, &p, &TargetForm::default(), None).await?;
    let now = chrono::Utc::now();
    if q.campaigns.as_deref() == Some("running") {
        page.campaigns.retain(|c| app::dashboard::campaign_running(c, now));
        page.filter = Some("Showing running campaigns only: sending, or within 30 days after sending.".into());
    }
    if q.needs.as_deref() == Some("short") {
        page.needs.retain(|n| n.gap > 0.0);
        page.filter = Some("Showing groups short of their weekly target only.".into());
    }
    render_page(&page)
}

pub async fn set_target(State(s): State<AppState>, p: Principal, axum::Form(f): axum::Form<TargetForm>) -> PageResult {
    let input = TargetInput {
        blood_group: f.blood_group.clone(),
        procedure: f.procedure.clone(),
        units_per_week: match f.units_per_week.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                let e = AppError::from(FieldError::new("units_per_week", "give a whole number of units"));
                return render_status(StatusCode::UNPROCESSABLE_ENTITY, &recruitment_page(&s, &p, &f, Some(&e)).await?);
            }
        },
    };
    match s.app.set_target(&p.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/recruitment").into_response()),
        Err(e @ AppError::Invalid(_)) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &recruitment_page(&s, &p, &f, Some(&e)).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "segment.html")]
pub struct SegmentPage {
    pub layout: Layout,
    pub title: String,
    pub action: String,
    pub can_manage: bool,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
    pub preview: Option<SegmentPreview>,
    pub filter_json: String,
}

/// The segment form: one field per filter criterion; empty fields are not criteria.
fn segment_fields(pairs: &[(String, String)]) -> Vec<FieldView> {
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let groups = pairs.iter().filter(|(k, _)| k == "blood_groups").map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(",");
    let mut procs = vec![(String::new(), "—".to_string())];
    procs.extend(procedure_options());
    vec![
        FieldView::text("name", "Name", &one("name")).required(),
        FieldView::text("blood_groups", "Blood groups", &groups).checkboxes(group_options()).help("None ticked: any group."),
        FieldView::text("eligible_for", "Eligible for", &one("eligible_for")).select(procs),
        FieldView::text("eligible_on", "Eligible on", &one("eligible_on")).kind("date").help("Default: the day the segment is used."),
        FieldView::text("lapsed_months", "Lapsed for at least (months)", &one("lapsed_months")).kind("number"),
        FieldView::text("history", "Donation history", &one("history")).select(vec![
            (String::new(), "—".into()),
            ("first_time".into(), "first-time (exactly one donation)".into()),
            ("never".into(), "never donated".into()),
        ]),
        FieldView::text("site", "Site code (preferred or last donation)", &one("site")),
        FieldView::text("not_contacted_days", "Not contacted for (days)", &one("not_contacted_days")).kind("number"),
        FieldView::text("consent", "Consent for", &one("consent")).select(vec![
            (String::new(), "—".into()),
            ("email".into(), "email".into()),
            ("sms".into(), "SMS".into()),
            ("phone".into(), "phone".into()),
            ("post".into(), "post".into()),
        ]),
        FieldView::text("cmv", "CMV", &one("cmv")).select(vec![
            (String::new(), "—".into()),
            ("negative".into(), "negative".into()),
            ("positive".into(), "positive".into()),
        ]),
        FieldView::text("hbs", "HbS", &one("hbs")).select(vec![
            (String::new(), "—".into()),
            ("negative".into(), "negative".into()),
            ("positive".into(), "positive".into()),
        ]),
        FieldView::text("iga", "IgA", &one("iga")).select(vec![
            (String::new(), "—".into()),
            ("normal".into(), "normal".into()),
            ("deficient".into(), "deficient".into()),
        ]),
        FieldView::text("antigens", "Red cell antigens", &one("antigens")).help("e.g. K-, E-, c- (the donor's current phenotype)"),
    ]
}

/// The filter JSON from the form; numbers that do not parse are left as text so the
/// filter check reports them.
fn filter_of(pairs: &[(String, String)]) -> Result<serde_json::Value, AppError> {
    let mut m = serde_json::Map::new();
    let groups: Vec<serde_json::Value> =
        pairs.iter().filter(|(k, v)| k == "blood_groups" && !v.is_empty()).map(|(_, v)| serde_json::Value::String(v.clone())).collect();
    if !groups.is_empty() {
        m.insert("blood_groups".into(), serde_json::Value::Array(groups));
    }
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "eligible_for" | "eligible_on" | "history" | "site" | "consent" | "cmv" | "hbs" | "iga" | "antigens" => {
                m.insert(k.clone(), serde_json::Value::String(v.to_string()));
            }
            "lapsed_months" | "not_contacted_days" => {
                let n: u32 = v.parse().map_err(|_| {
                    AppError::from(FieldError::new(if k == "lapsed_months" { "lapsed_months" } else { "not_contacted_days" }, "give a whole number"))
                })?;
                m.insert(k.clone(), n.into());
            }
            _ => {}
        }
    }
    Ok(serde_json::Value::Object(m))
}

fn pairs_of(filter: &serde_json::Value, name: &str) -> Vec<(String, String)> {
    let mut out = vec![("name".to_string(), name.to_string())];
    if let Some(m) = filter.as_object() {
        for (k, v) in m {
            match v {
                serde_json::Value::Array(a) => out.extend(a.iter().filter_map(|x| x.as_str()).map(|x| (k.clone(), x.to_string()))),
                serde_json::Value::String(x) => out.push((k.clone(), x.clone())),
                other => out.push((k.clone(), other.to_string())),
            }
        }
    }
    out
}

pub async fn segments_new(p: Principal) -> PageResult {
    render_page(&SegmentPage {
        layout: Layout::new(&p, "recruitment"),
        title: "New segment".into(),
        action: "/recruitment/segments".into(),
        can_manage: true,
        fields: segment_fields(&[]),
        error: None,
        preview: None,
        filter_json: "{}".into(),
    })
}

async fn segment_submit(s: &AppState, p: &Principal, id: Option<uuid::Uuid>, body: &[u8]) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let preview_only = pairs.iter().any(|(k, _)| k == "preview");
    let name = pairs.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut page = SegmentPage {
        layout: Layout::new(p, "recruitment"),
        title: if id.is_some() { format!("Segment {name}") } else { "New segment".into() },
        action: id.map_or("/recruitment/segments".into(), |i| format!("/recruitment/segments/{i}")),
        can_manage: true,
        fields: segment_fields(&pairs),
        error: None,
        preview: None,
        filter_json: String::new(),
    };
    let result = match filter_of(&pairs) {
        Ok(filter) => {
            page.filter_json = filter.to_string();
            if preview_only {
                s.app.preview_filter(&p.actor, &filter).await.map(|pv| {
                    page.preview = Some(pv);
                    None
                })
            } else {
                let input = SegmentInput { name, filter };
                match id {
                    Some(id) => s.app.update_segment(&p.actor, id, &input).await.map(Some),
                    None => s.app.create_segment(&p.actor, &input).await.map(Some),
                }
            }
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(seg)) => Ok(Redirect::to(&format!("/recruitment/segments/{}", seg.id)).into_response()),
        Ok(None) => render_page(&page),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = crate::error::status_of(&e);
            page.error = Some(error_text(&mut page.fields, &e));
            render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn segments_create(State(s): State<AppState>, p: Principal, body: axum::body::Bytes) -> PageResult {
    segment_submit(&s, &p, None, &body).await
}

pub async fn segment_update(State(s): State<AppState>, p: Principal, Path(id): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id("segment", &id)?;
    segment_submit(&s, &p, Some(id), &body).await
}

pub async fn segment_show(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let seg = s.app.segment(&p.actor, parse_id("segment", &id)?).await?;
    let preview = s.app.preview_filter(&p.actor, &seg.filter).await?;
    render_page(&SegmentPage {
        layout: Layout::new(&p, "recruitment"),
        title: format!("Segment {}", seg.name),
        action: format!("/recruitment/segments/{}", seg.id),
        can_manage: p.actor.can(Permission::ManageRecruitment),
        fields: segment_fields(&pairs_of(&seg.filter, &seg.name)),
        error: None,
        preview: Some(preview),
        filter_json: seg.filter.to_string(),
    })
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
pub struct CampaignNewPage {
    pub layout: Layout,
    pub fields: Vec<FieldView>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    segment_id: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    cost_per_contact: String,
}

async fn campaign_fields(s: &AppState, p: &Principal, f: &CampaignForm) -> Result<Vec<FieldView>, AppError> {
    let segments = s.app.list_segments(&p.actor).await?.into_iter().map(|x| (x.id.to_string(), x.name)).collect();
    Ok(vec![
        FieldView::text("name", "Name", &f.name).required(),
        FieldView::text("segment_id", "Segment", &f.segment_id).select(segments),
        FieldView::text("channel", "Channel", if f.channel.is_empty() { "email" } else { &f.channel }).select(vec![
            ("email".into(), "email".into()),
            ("sms".into(), "SMS".into()),
            ("phone".into(), "phone (call list)".into()),
        ]),
        FieldView::text("subject", "Email subject", &f.subject),
        FieldView::text("body", "Message (phone: script for the caller)", &f.body)
            .kind("textarea")
            .required()
            .help("Merge fields: {{first_name}} {{last_name}} {{donor_number}} {{blood_group}} {{unsubscribe_url}} {{booking_url}}"),
        FieldView::text("limit", "Contact at most (best scores first)", if f.limit.is_empty() { "100" } else { &f.limit }).kind("number").required(),
        FieldView::text("cost_per_contact", "Cost per contact", if f.cost_per_contact.is_empty() { "0" } else { &f.cost_per_contact }),
    ])
}

pub async fn campaign_new(State(s): State<AppState>, p: Principal) -> PageResult {
    let fields = campaign_fields(&s, &p, &CampaignForm::default()).await?;
    render_page(&CampaignNewPage { layout: Layout::new(&p, "recruitment"), fields, error: None })
}

pub async fn campaign_create(State(s): State<AppState>, p: Principal, axum::Form(f): axum::Form<CampaignForm>) -> PageResult {
    let limit = f.limit.trim().parse::<i64>();
    let cost = f.cost_per_contact.trim().replace(',', ".").parse::<f64>();
    let result = match (limit, cost) {
        (Ok(limit), Ok(cost_per_contact)) => {
            let input = CampaignInput {
                name: f.name.clone(),
                segment_id: f.segment_id.clone(),
                channel: f.channel.clone(),
                subject: f.subject.clone(),
                body: f.body.clone(),
                limit,
                cost_per_contact,
            };
            s.app.create_campaign(&p.actor, &input).await
        }
        (Err(_), _) => Err(FieldError::new("limit", "give a whole number").into()),
        (_, Err(_)) => Err(FieldError::new("cost_per_contact", "give a number, e.g. 0.35").into()),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/recruitment/campaigns/{}", c.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let status = crate::error::status_of(&e);
            let mut fields = campaign_fields(&s, &p, &f).await?;
            let error = Some(error_text(&mut fields, &e));
            render_status(status, &CampaignNewPage { layout: Layout::new(&p, "recruitment"), fields, error })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    pub layout: Layout,
    pub d: CampaignDetail,
    pub can_manage: bool,
    pub funnel_chart: String,
    pub outcomes: Vec<&'static str>,
}

impl CampaignPage {
    pub fn pct(&self, x: &f64) -> String {
        pct(*x)
    }
    pub fn money(&self, x: &f64) -> String {
        format!("{x:.2}")
    }
    pub fn score(&self, x: &f64) -> String {
        format!("{x:.4}")
    }
}

pub async fn campaign_show(State(s): State<AppState>, p: Principal, Path(id): Path<String>) -> PageResult {
    let d = s.app.campaign_detail(&p.actor, parse_id("campaign", &id)?).await?;
    let st = &d.campaign.stats;
    let funnel_chart = BarChart {
        title: "Campaign funnel".into(),
        bars: vec![
            Bar { label: "contacted".into(), value: st.contacted },
            Bar { label: "delivered".into(), value: st.delivered },
            Bar { label: "responded".into(), value: st.responses },
            Bar { label: "booked".into(), value: st.bookings },
            Bar { label: "donated".into(), value: st.donated },
        ],
        shares: false,
    }
    .to_svg();
    render_page(&CampaignPage {
        layout: Layout::new(&p, "recruitment"),
        can_manage: p.actor.can(Permission::ManageRecruitment),
        d,
        funnel_chart,
        outcomes: CALL_OUTCOMES.to_vec(),
    })
}

#[derive(Deserialize, Default)]
pub struct OutcomeForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    campaign: String,
}

pub async fn call_outcome(State(s): State<AppState>, p: Principal, Path(id): Path<String>, axum::Form(f): axum::Form<OutcomeForm>) -> PageResult {
    let id = parse_id("contact", &id)?;
    let c = s.app.record_call_outcome(&p.actor, id, &CallOutcomeInput { outcome: f.outcome, note: f.note }).await?;
    let campaign = if f.campaign.is_empty() { c.campaign_id.to_string() } else { f.campaign };
    Ok(Redirect::to(&format!("/recruitment/campaigns/{campaign}#contact-{id}")).into_response())
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
pub struct UnsubscribePage {
    pub token: String,
    pub first_name: String,
    pub done: bool,
    pub already: bool,
}

/// `GET /unsubscribe/{token}`: asks the donor to confirm (a link preview must not unsubscribe).
pub async fn unsubscribe_form(State(s): State<AppState>, Path(token): Path<String>) -> PageResult {
    let v = s.app.unsubscribe_info(&token).await?;
    render_page(&UnsubscribePage { token, first_name: v.first_name, done: false, already: v.already })
}

/// `POST /unsubscribe/{token}`: withdraws email consent (also the one-click `List-Unsubscribe-Post`).
pub async fn unsubscribe(State(s): State<AppState>, Path(token): Path<String>) -> PageResult {
    let v = s.app.unsubscribe(&token).await?;
    render_page(&UnsubscribePage { token, first_name: v.first_name, done: true, already: v.already })
}
