//! Recruitment: segments (saved filters over the donor pool), message templates with
//! merge fields, and the return propensity model.

pub mod propensity;

use crate::eligibility::{evaluate, DeferralEntry, DonorFacts, EligibilityCase, PastDonation, RuleBook};
use crate::{BloodGroup, DonationProcedure, FieldError, FieldErrors, Sex};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Contact channels, as the consent columns name them.
pub const CHANNELS: [&str; 4] = ["email", "sms", "phone", "post"];

/// How a campaign reaches its donors (post is a consent, not a campaign channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignChannel {
    Email,
    Sms,
    /// A call list staff work through; nothing is sent.
    Phone,
}

impl CampaignChannel {
    pub const ALL: [CampaignChannel; 3] = [Self::Email, Self::Sms, Self::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Phone => "phone",
        }
    }

    /// The word staff read.
    pub fn words(self) -> &'static str {
        match self {
            Self::Email => "Email",
            Self::Sms => "SMS",
            Self::Phone => "Phone",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("channel", format!("'{}' is not a campaign channel; use email, sms or phone", s.trim())))
    }
}

impl std::fmt::Display for CampaignChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for CampaignChannel {
    type Error = FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// A segment's filter as saved (JSON). Every criterion is optional; a donor must meet
/// all that are set. Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    /// e.g. ["O-", "A+"]; any of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blood_groups: Vec<String>,
    /// Eligible (by history and the deferral register) for this procedure on `eligible_on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_for: Option<String>,
    /// YYYY-MM-DD; default: the day the segment is evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_on: Option<String>,
    /// Gave before, but not in the last N months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_months: Option<u32>,
    /// "first_time" (exactly one donation) or "never" (no donation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// Site code: the donor's preferred site or the site of the last donation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Not contacted by any campaign in the last N days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_contacted_days: Option<u32>,
    /// Agreed to be contacted on this channel: email, sms, phone or post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// Current CMV status, e.g. "negative" (as in the rare-donor search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmv: Option<String>,
    /// Current HbS status, e.g. "negative".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hbs: Option<String>,
    /// Current IgA status: "normal" or "deficient".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iga: Option<String>,
    /// Red cell antigens, e.g. "K-, E-, c-".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub antigens: Option<String>,
}

/// A filter after its values were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFilter {
    pub blood_groups: Vec<BloodGroup>,
    pub eligible_for: Option<(DonationProcedure, Option<NaiveDate>)>,
    pub lapsed_months: Option<u32>,
    pub first_time: Option<bool>,
    pub site: Option<String>,
    pub not_contacted_days: Option<u32>,
    pub consent: Option<String>,
    /// Typing criteria as (rare-search parameter, value); the values are checked where
    /// the typing rules live (the registry), and matched against the donors' records there.
    pub typing: Vec<(String, String)>,
}

impl SegmentFilter {
    /// Reads a filter from JSON, refusing unknown keys and values.
    pub fn from_json(v: &serde_json::Value) -> Result<(SegmentFilter, CheckedFilter), FieldErrors> {
        let f: SegmentFilter = serde_json::from_value(v.clone()).map_err(|e| FieldErrors(vec![FieldError::new("filter", e.to_string())]))?;
        let c = f.check()?;
        Ok((f, c))
    }

    pub fn check(&self) -> Result<CheckedFilter, FieldErrors> {
        let mut e = FieldErrors::default();
        let blood_groups =
            self.blood_groups.iter().filter_map(|g| e.take(BloodGroup::parse(g).map_err(|x| FieldError::new("blood_groups", x.message)))).collect();
        let eligible_for = match &self.eligible_for {
            Some(p) => {
                let proc_ = e.take(DonationProcedure::parse(p).map_err(|x| FieldError::new("eligible_for", x.message)));
                let on = match self.eligible_on.as_deref().filter(|s| !s.trim().is_empty()) {
                    Some(s) => e
                        .take(
                            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                                .map_err(|_| FieldError::new("eligible_on", format!("'{s}' is not a date (YYYY-MM-DD)"))),
                        )
                        .map(Some),
                    None => Some(None),
                };
                proc_.zip(on)
            }
            None => {
                if self.eligible_on.is_some() {
                    e.0.push(FieldError::new("eligible_on", "give eligible_for (a procedure) with the date"));
                }
                None
            }
        };
        let first_time = match self.history.as_deref() {
            None => None,
            Some("first_time") => Some(true),
            Some("never") => Some(false),
            Some(other) => {
                e.0.push(FieldError::new("history", format!("'{other}' is not a history filter; use first_time or never")));
                None
            }
        };
        if self.lapsed_months == Some(0) {
            e.0.push(FieldError::new("lapsed_months", "use at least 1 month"));
        }
        if let Some(c) = &self.consent {
            if !CHANNELS.contains(&c.as_str()) {
                e.0.push(FieldError::new("consent", format!("'{c}' is not a contact channel; use email, sms, phone or post")));
            }
        }
        if e.is_empty() {
            Ok(CheckedFilter {
                blood_groups,
                eligible_for,
                lapsed_months: self.lapsed_months,
                first_time,
                site: self.site.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
                not_contacted_days: self.not_contacted_days,
                consent: self.consent.clone(),
                typing: [("cmv", &self.cmv), ("hbs", &self.hbs), ("iga", &self.iga), ("antigens", &self.antigens)]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().filter(|v| !v.trim().is_empty()).map(|v| (k.to_string(), v.trim().to_string())))
                    .collect(),
            })
        } else {
            Err(e)
        }
    }
}

/// What a segment looks at for one donor.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolDonor {
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub group: Option<BloodGroup>,
    pub preferred_site: Option<String>,
    /// (date, procedure, site code), oldest first.
    pub donations: Vec<(NaiveDate, DonationProcedure, Option<String>)>,
    /// Deferral entries in force (started, not reentered).
    pub deferrals: Vec<DeferralEntry>,
    pub last_contacted: Option<NaiveDate>,
    /// Channels the donor consented to.
    pub consent: Vec<&'static str>,
}

/// Months back from a date, clamped to the month's length.
pub fn months_before(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(chrono::Months::new(months)).unwrap_or(day)
}

impl CheckedFilter {
    /// Whether the donor meets every criterion on `today`.
    pub fn matches(&self, d: &PoolDonor, today: NaiveDate, rules: &RuleBook) -> bool {
        if !self.blood_groups.is_empty() && !d.group.is_some_and(|g| self.blood_groups.contains(&g)) {
            return false;
        }
        if let Some(c) = &self.consent {
            if !d.consent.contains(&c.as_str()) {
                return false;
            }
        }
        let past: Vec<_> = d.donations.iter().filter(|x| x.0 <= today).collect();
        if let Some(first) = self.first_time {
            if (first && past.len() != 1) || (!first && !past.is_empty()) {
                return false;
            }
        }
        if let Some(m) = self.lapsed_months {
            let since = months_before(today, m);
            if past.is_empty() || past.iter().any(|x| x.0 > since) {
                return false;
            }
        }
        if let Some(site) = &self.site {
            let last_site = past.last().and_then(|x| x.2.as_deref());
            if d.preferred_site.as_deref() != Some(site.as_str()) && last_site != Some(site.as_str()) {
                return false;
            }
        }
        if let Some(n) = self.not_contacted_days {
            if d.last_contacted.is_some_and(|c| (today - c).num_days() < n as i64) {
                return false;
            }
        }
        if let Some((procedure, on)) = self.eligible_for {
            let on = on.unwrap_or(today);
            let case = EligibilityCase {
                date: on,
                procedure,
                donor: DonorFacts { sex: d.sex, birth_date: d.birth_date, weight_kg: None, height_cm: None },
                screening: Default::default(),
                history: d.donations.iter().filter(|x| x.0 < on).map(|x| PastDonation { procedure: x.1, date: x.0 }).collect(),
                medications: vec![],
                events: vec![],
                deferrals: d.deferrals.clone(),
            };
            // Measurements are taken at the visit: the next possible date ignores them.
            match evaluate(rules, &case) {
                Ok(decision) if decision.next_eligible_date.is_some_and(|n| n <= on) => {}
                _ => return false,
            }
        }
        true
    }
}

/// Merge fields a message template may use.
pub const MERGE_FIELDS: [&str; 6] = ["first_name", "last_name", "donor_number", "blood_group", "unsubscribe_url", "booking_url"];

/// The merge fields named in a template (`{{name}}`), refusing unknown ones and
/// unclosed braces.
pub fn template_fields(field: &'static str, text: &str, allowed: &[&str]) -> Result<Vec<String>, FieldError> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        let end = after.find("}}").ok_or_else(|| FieldError::new(field, "a '{{' is not closed by '}}'"))?;
        let name = after[..end].trim();
        if !allowed.contains(&name) {
            return Err(FieldError::new(field, format!("unknown merge field {{{{{name}}}}}; use {}", allowed.join(", "))));
        }
        out.push(name.to_string());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Fills the merge fields; `values` gives each field's text.
pub fn fill_template(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or(""));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::RuleBook;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn filters_refuse_unknown_keys_and_values() {
        assert!(SegmentFilter::from_json(&serde_json::json!({"blood_groups": ["O-"], "kell": "neg"})).unwrap_err().0[0].message.contains("kell"));
        let e = SegmentFilter::from_json(&serde_json::json!({"blood_groups": ["C+"], "consent": "fax", "history": "often", "eligible_for": "x"}))
            .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field.as_ref()).collect();
        assert_eq!(fields, ["blood_groups", "eligible_for", "history", "consent"]);
        let (_, c) = SegmentFilter::from_json(&serde_json::json!({"blood_groups": ["O-", "a pos"], "history": "never"})).unwrap();
        assert_eq!(c.blood_groups.len(), 2);
        assert_eq!(c.first_time, Some(false));
    }

    fn donor(donations: &[(&str, DonationProcedure, Option<&str>)]) -> PoolDonor {
        PoolDonor {
            sex: Sex::Female,
            birth_date: day("1980-01-01"),
            group: Some(BloodGroup::parse("O-").unwrap()),
            preferred_site: None,
            donations: donations.iter().map(|(d, p, s)| (day(d), *p, s.map(str::to_string))).collect(),
            deferrals: vec![],
            last_contacted: None,
            consent: vec!["email"],
        }
    }

    #[test]
    fn each_criterion_selects_the_right_donors() {
        let rules = RuleBook::defaults();
        let today = day("2026-06-01");
        let f = |v: serde_json::Value| SegmentFilter::from_json(&v).unwrap().1;
        let wb = DonationProcedure::WholeBlood;
        let recent = donor(&[("2026-05-01", wb, Some("MAIN"))]);
        let lapsed = donor(&[("2024-01-01", wb, None), ("2025-01-01", wb, Some("NORTH"))]);
        let never = donor(&[]);
        assert!(f(serde_json::json!({"lapsed_months": 12})).matches(&lapsed, today, &rules));
        assert!(!f(serde_json::json!({"lapsed_months": 12})).matches(&recent, today, &rules));
        assert!(!f(serde_json::json!({"lapsed_months": 12})).matches(&never, today, &rules));
        assert!(f(serde_json::json!({"history": "first_time"})).matches(&recent, today, &rules));
        assert!(!f(serde_json::json!({"history": "first_time"})).matches(&lapsed, today, &rules));
        assert!(f(serde_json::json!({"history": "never"})).matches(&never, today, &rules));
        assert!(f(serde_json::json!({"site": "NORTH"})).matches(&lapsed, today, &rules));
        assert!(!f(serde_json::json!({"site": "MAIN"})).matches(&lapsed, today, &rules));
        assert!(!f(serde_json::json!({"blood_groups": ["A+"]})).matches(&recent, today, &rules));
        assert!(f(serde_json::json!({"consent": "email"})).matches(&recent, today, &rules));
        assert!(!f(serde_json::json!({"consent": "sms"})).matches(&recent, today, &rules));
        // 31 days after whole blood: not yet eligible for whole blood (56 days), but on 2026-06-26 yes.
        assert!(!f(serde_json::json!({"eligible_for": "whole_blood"})).matches(&recent, today, &rules));
        assert!(f(serde_json::json!({"eligible_for": "whole_blood", "eligible_on": "2026-06-26"})).matches(&recent, today, &rules));
        let mut deferred = lapsed.clone();
        deferred.deferrals.push(DeferralEntry::Permanent {});
        assert!(!f(serde_json::json!({"eligible_for": "whole_blood"})).matches(&deferred, today, &rules));
        let mut contacted = lapsed.clone();
        contacted.last_contacted = Some(day("2026-05-20"));
        assert!(!f(serde_json::json!({"not_contacted_days": 30})).matches(&contacted, today, &rules));
        assert!(f(serde_json::json!({"not_contacted_days": 10})).matches(&contacted, today, &rules));
    }

    #[test]
    fn templates_name_only_known_merge_fields() {
        assert_eq!(template_fields("body", "Dear {{first_name}}, {{ donor_number }}", &MERGE_FIELDS).unwrap(), ["first_name", "donor_number"]);
        assert!(template_fields("body", "Hi {{nickname}}", &MERGE_FIELDS).unwrap_err().message.contains("nickname"));
        assert!(template_fields("body", "Hi {{first_name", &MERGE_FIELDS).is_err());
        assert_eq!(fill_template("Dear {{first_name}} ({{blood_group}})", &[("first_name", "Ann"), ("blood_group", "O-")]), "Dear Ann (O-)");
    }
}
