//! The words staff read, in one place: internal codes (procedures, statuses, channels,
//! deferral kinds, audit actions), record field names and validation field paths map
//! here to what a person at a collection site or in quality says. Templates and page
//! handlers call these; nothing else on a page should show a code.

/// Codes that are stored as values (procedures, statuses, channels, kinds, sources,
/// outcomes) and the words for them.
const CODES: &[(&str, &str)] = &[
    // procedures
    ("whole_blood", "Whole blood"),
    ("double_red_cells", "Double red cells"),
    ("platelets", "Platelets"),
    ("plasma", "Plasma"),
    ("source_plasma", "Source plasma"),
    ("autologous", "Autologous"),
    // deferral kinds
    ("temporary", "Temporary"),
    ("indefinite", "Indefinite"),
    ("permanent", "Permanent"),
    // channels
    ("email", "Email"),
    ("sms", "SMS"),
    ("phone", "Phone"),
    ("post", "Post"),
    // appointment, contact, message and account statuses
    ("booked", "Booked"),
    ("cancelled", "Cancelled"),
    ("attended", "Attended"),
    ("no_show", "No-show"),
    ("listed", "On the call list"),
    ("called", "Called"),
    ("queued", "Waiting to be sent"),
    ("sending", "Being sent"),
    ("sent", "Sent"),
    ("bounced", "Bounced"),
    ("failed", "Failed"),
    ("captured", "In the Outbox, not sent"),
    ("unsubscribed", "Unsubscribed"),
    ("active", "Active"),
    ("on_hold", "On hold"),
    ("closed", "Closed"),
    // call outcomes
    ("reached", "Reached"),
    ("declined", "Declined"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    // blood group status and sources
    ("none", "None on file"),
    ("unconfirmed", "Not confirmed"),
    ("confirmed", "Confirmed"),
    ("discrepancy", "Discrepancy"),
    ("lab", "Laboratory"),
    ("donor_card", "Donor card"),
    ("import", "Import"),
    ("screening", "Screening"),
    ("first_time", "First-time donors"),
    ("never", "Never donated"),
    ("negative", "Negative"),
    ("positive", "Positive"),
    // site kinds
    ("fixed", "Fixed site"),
    ("mobile", "Mobile"),
    // roles
    ("admin", "Administrator"),
    ("collector", "Collector"),
    ("recruiter", "Recruiter"),
    ("quality", "Quality"),
    ("hospital", "Hospital"),
];

/// Field names of records and forms (the last part of a path) and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("donor_number", "Donor number"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("birth_date", "Date of birth"),
    ("sex", "Sex"),
    ("abo", "ABO"),
    ("rhd", "RhD"),
    ("group", "Blood group"),
    ("blood_group", "Blood group"),
    ("din", "DIN"),
    ("fin", "FIN"),
    ("hemoglobin_g_dl", "Hemoglobin (g/dL)"),
    ("hemoglobin", "Hemoglobin"),
    ("weight_kg", "Weight (kg)"),
    ("pulse_bpm", "Pulse (beats/min)"),
    ("systolic_mmhg", "Blood pressure, systolic (mmHg)"),
    ("diastolic_mmhg", "Blood pressure, diastolic (mmHg)"),
    ("temperature_c", "Temperature (°C)"),
    ("feeling_well", "Feeling well today"),
    ("procedure", "Procedure"),
    ("kind", "Kind"),
    ("reason_code", "Reason code"),
    ("reason", "Reason"),
    ("starts_on", "From"),
    ("until", "Until"),
    ("status", "Status"),
    ("channel", "Channel"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("id_document", "ID document"),
    ("consent_email", "Consent to email"),
    ("consent_sms", "Consent to SMS"),
    ("consent_phone", "Consent to phone calls"),
    ("consent_post", "Consent to post"),
    ("preferred_site", "Preferred site"),
    ("time_zone", "Time zone"),
    ("code", "Code"),
    ("name", "Name"),
    ("display_name", "Name"),
    ("username", "User name"),
    ("roles", "Roles"),
    ("active", "Active"),
    ("locked_until", "Locked until"),
    ("expires_at", "Expires"),
    ("expires_in_days", "Valid for (days)"),
    ("collected_at", "Collected"),
    ("collected_on", "Collected on"),
    ("determined_on", "Determined on"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
    ("rule_version", "Rules version"),
    ("questionnaire_version", "Questionnaire version"),
    ("next_eligible_date", "Next possible donation"),
    ("eligible", "Eligible"),
    ("reasons", "Reasons"),
    ("site", "Site"),
    ("campaign", "Campaign"),
    ("segment", "Segment"),
    ("outcome", "Outcome"),
    ("note", "Note"),
    ("attempts", "Attempts"),
    ("error", "Problem"),
    ("message", "Message"),
    ("from", "From"),
    ("to", "To"),
    ("units_per_week", "Units per week"),
    ("cost_per_contact_cents", "Cost per contact (cents)"),
    ("limit", "Contact limit"),
    ("attempts_in_a_row", "Failed attempts in a row"),
    ("expiry", "Expiry"),
    ("product", "Product"),
    ("format", "Label format"),
    ("answers", "Answers"),
    ("version", "Version"),
    ("effective_from", "In force from"),
    ("blood_groups", "Blood groups"),
    ("eligible_for", "Eligible for"),
    ("eligible_on", "Eligible on"),
    ("lapsed_months", "Not given for (months)"),
    ("history", "History"),
    ("not_contacted_days", "Not contacted for (days)"),
    ("consent", "Agreed to"),
    ("cmv", "CMV"),
    ("hbs", "HbS"),
    ("iga", "IgA"),
    ("hla", "HLA"),
    ("antigens", "Antigens"),
    ("bp_systolic", "Blood pressure, systolic (mmHg)"),
    ("bp_diastolic", "Blood pressure, diastolic (mmHg)"),
    ("height_cm", "Height (cm)"),
];

/// Audit actions and what they say happened.
const ACTIONS: &[(&str, &str)] = &[
    ("donor.register", "Donor registered"),
    ("donor.edit", "Donor details changed"),
    ("donor.merge", "Donor records merged"),
    ("donor.defer", "Donor deferred"),
    ("donor.screen", "Donor screened"),
    ("donor.blood_group", "Blood group result recorded"),
    ("donor.blood_group_resolve", "Blood group discrepancy resolved"),
    ("donor.attributes", "Red cell attributes recorded"),
    ("donor.consent_withdrawn", "Donor withdrew consent to email"),
    ("donation.collect", "Donation collected"),
    ("donation.record", "Donation recorded"),
    ("donor.reenter", "Donor reentered after deferral"),
    ("donor.deferral_correct", "Deferral marked as entered in error"),
    ("appointment.book", "Appointment booked"),
    ("appointment.cancel", "Appointment cancelled"),
    ("appointment.attendance", "Attendance recorded"),
    ("booking_link.create", "Booking link created"),
    ("schedule.set", "Site opening hours set"),
    ("drive.plan", "Blood drive planned"),
    ("campaign.create", "Campaign created"),
    ("campaign.call_outcome", "Call outcome recorded"),
    ("campaign.bounce", "Email bounce reported"),
    ("campaign.message_sent", "Campaign message sent"),
    ("campaign.message_bounced", "Campaign message bounced"),
    ("campaign.message_failed", "Campaign message failed"),
    ("campaign.message_captured", "Campaign message kept in the Outbox"),
    ("segment.create", "Segment created"),
    ("segment.update", "Segment changed"),
    ("recruitment.target", "Recruitment target set"),
    ("recruitment.scores", "Donor scores computed"),
    ("site.create", "Site created"),
    ("site.update", "Site changed"),
    ("hospital.create", "Hospital created"),
    ("hospital.update", "Hospital changed"),
    ("user.create", "User created"),
    ("user.update", "User changed"),
    ("user.login", "Signed in"),
    ("user.logout", "Signed out"),
    ("user.login_failed", "Sign-in refused"),
    ("user.deactivate", "User deactivated"),
    ("user.password_change", "Password changed"),
    ("user.password_reset", "Password reset"),
    ("import.donors", "Donors imported"),
    ("import.donations", "Donations imported"),
    ("user.activate", "User reactivated"),
    ("api_token.create", "API token created"),
    ("api_token.revoke", "API token revoked"),
    ("din.assign", "DIN assigned"),
    ("din_label_set.register", "DIN label set registered"),
    ("label.print", "Label printed"),
    ("rules.version.add", "Eligibility rules version added"),
    ("questionnaire.version.add", "Questionnaire version added"),
    ("demo.registry", "Demonstration data loaded"),
];

/// Kinds of record an audit entry is about.
const ENTITIES: &[(&str, &str)] = &[
    ("donor", "Donor"),
    ("donation", "Donation"),
    ("deferral", "Deferral"),
    ("screening", "Screening"),
    ("appointment", "Appointment"),
    ("drive_session", "Blood drive"),
    ("campaign", "Campaign"),
    ("campaign_contact", "Campaign contact"),
    ("segment", "Segment"),
    ("recruitment_target", "Recruitment target"),
    ("score_run", "Score run"),
    ("site", "Site"),
    ("hospital", "Hospital"),
    ("user", "User"),
    ("api_token", "API token"),
    ("din", "DIN"),
    ("din_label_set", "DIN label set"),
    ("eligibility_rules", "Eligibility rules"),
    ("questionnaire", "Questionnaire"),
    ("import", "Import"),
    ("demo", "Demonstration data"),
];

fn look(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// "some_internal_name" as words: "Some internal name".
pub fn humanize(s: &str) -> String {
    let spaced = s.replace(['_', '.'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The words for a stored code ("whole_blood" → "Whole blood"); anything that is not
/// a known code is returned as it is (it is data someone typed).
pub fn code(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    look(CODES, s).map(str::to_string).unwrap_or_else(|| s.to_string())
}

/// The label of a record or form field ("hemoglobin_g_dl" → "Hemoglobin (g/dL)").
/// A validation path ("screening.hemoglobin_g_dl", "answers.q3") is named by its last
/// part.
pub fn field(name: &str) -> String {
    let last = name.rsplit(['.', '/']).next().unwrap_or(name);
    let last = last.split('[').next().unwrap_or(last);
    look(FIELDS, last).map(str::to_string).unwrap_or_else(|| humanize(last))
}

/// What an audit action says happened ("donor.edit" → "Donor details changed").
pub fn action(a: &str) -> String {
    if let Some(w) = look(ACTIONS, a) {
        return w.to_string();
    }
    match a.split_once('.') {
        Some((entity, verb)) => format!("{}: {}", entity_type(entity), humanize(verb).to_lowercase()),
        None => humanize(a),
    }
}

/// The kind of record an audit entry concerns ("campaign_contact" → "Campaign contact").
pub fn entity_type(t: &str) -> String {
    look(ENTITIES, t).map(str::to_string).unwrap_or_else(|| humanize(t))
}

/// A stored filter (a JSON object such as a segment's) as words: "Blood groups: O-,
/// B- · Eligible for: Whole blood". An empty filter reads "Everyone".
pub fn filter(v: &serde_json::Value) -> String {
    let Some(m) = v.as_object() else { return value(v) };
    if m.is_empty() {
        return "Everyone".into();
    }
    m.iter().map(|(k, v)| format!("{}: {}", field(k), value(v))).collect::<Vec<_>>().join(" · ")
}

/// `filter` for a filter kept as JSON text.
pub fn filter_text(json: &str) -> String {
    serde_json::from_str(json).map(|v| filter(&v)).unwrap_or_else(|_| json.to_string())
}

/// A JSON value as words: codes translated, lists joined, yes/no for flags.
pub fn value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => code(s),
        Value::Array(items) => items.iter().map(value).collect::<Vec<_>>().join(", "),
        Value::Object(_) => filter(v),
    }
}

/// Replaces field paths at the start of a validation message ("screening.hemoglobin_g_dl:
/// too low" → "Hemoglobin (g/dL): too low").
pub fn message(m: &str) -> String {
    match m.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && path.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._[]".contains(c)) => {
            format!("{}: {rest}", field(path))
        }
        _ => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fields_and_actions_read_as_words() {
        assert_eq!(code("whole_blood"), "Whole blood");
        assert_eq!(code("Mrs Smith's note"), "Mrs Smith's note");
        assert_eq!(field("screening.hemoglobin_g_dl"), "Hemoglobin (g/dL)");
        assert_eq!(field("answers.feeling_well"), "Feeling well today");
        assert_eq!(field("some_new_field"), "Some new field");
        assert_eq!(action("donor.edit"), "Donor details changed");
        assert_eq!(action("campaign.message_retried"), "Campaign: message retried");
        assert_eq!(entity_type("campaign_contact"), "Campaign contact");
        assert_eq!(message("screening.hemoglobin_g_dl: below 12.5"), "Hemoglobin (g/dL): below 12.5");
        assert_eq!(message("Check the DIN: it is wrong"), "Check the DIN: it is wrong");
        let f = serde_json::json!({"blood_groups": ["O-", "B-"], "eligible_for": "whole_blood", "history": "first_time"});
        assert_eq!(filter(&f), "Blood groups: O-, B- · Eligible for: Whole blood · History: First-time donors");
        assert_eq!(filter(&serde_json::json!({})), "Everyone");
    }

    #[test]
    fn every_code_and_field_has_one_entry() {
        for table in [CODES, FIELDS, ACTIONS, ENTITIES] {
            let mut keys: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
            keys.sort_unstable();
            let n = keys.len();
            keys.dedup();
            assert_eq!(keys.len(), n, "a key appears twice");
        }
    }
}
