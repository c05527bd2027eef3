//! Collection sites: fixed centres and mobile drive locations, each in its own time zone
//! (expiry and opening hours are computed in the site's local time).

use crate::validation::{optional_text, required_text, FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A fixed donor centre.
    Fixed,
    /// A location where mobile drives are held (school, church, company).
    Mobile,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Fixed => "fixed",
            SiteKind::Mobile => "mobile",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "fixed" => Ok(SiteKind::Fixed),
            "mobile" => Ok(SiteKind::Mobile),
            other => Err(FieldError::new("kind", format!("'{other}' is not a site kind; use 'fixed' or 'mobile'"))),
        }
    }
}

/// Short code people use for a site, e.g. `MAIN`, `DRV-07`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SiteCode(String);

impl SiteCode {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        parse_code("code", s).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Upper-case letters, digits and '-', 2 to 16 characters.
pub(crate) fn parse_code(field: &'static str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if !(2..=16).contains(&s.len()) {
        return Err(FieldError::new(field, "must be 2 to 16 characters long"));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(FieldError::new(field, format!("'{c}' is not allowed; use upper-case letters, digits and '-'")));
    }
    Ok(s.to_string())
}

/// An IANA time zone name such as `America/Chicago`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        chrono_tz::Tz::from_str(s)
            .map_err(|_| FieldError::new("time_zone", format!("'{s}' is not an IANA time zone name (for example America/Chicago)")))?;
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0.parse().expect("checked at parse")
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A site as a person or system submits it, before any check.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub city: String,
    /// The US state (two letters) the site collects in; regional tests depend on it.
    #[serde(default)]
    pub region: String,
    pub time_zone: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Checked fields of a site version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteFields {
    pub code: SiteCode,
    pub name: String,
    pub kind: SiteKind,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub time_zone: TimeZoneName,
    pub active: bool,
}

impl SiteInput {
    pub fn validate(&self) -> Result<SiteFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let code = e.take(SiteCode::parse(&self.code));
        let name = e.take(required_text("name", &self.name, 120));
        let kind = e.take(SiteKind::parse(&self.kind));
        let address = e.take(optional_text("address", &self.address, 200));
        let city = e.take(optional_text("city", &self.city, 80));
        let region = e.take(parse_region(&self.region));
        let time_zone = e.take(TimeZoneName::parse(&self.time_zone));
        match (code, name, kind, address, city, region, time_zone) {
            (Some(code), Some(name), Some(kind), Some(address), Some(city), Some(region), Some(time_zone)) if e.is_empty() => {
                Ok(SiteFields { code, name, kind, address, city, region, time_zone, active: self.active })
            }
            _ => Err(e),
        }
    }
}

/// A US state or district as two letters (`NY`, `DC`); empty is no region.
fn parse_region(s: &str) -> Result<Option<String>, FieldError> {
    let t = s.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(Some(t))
    } else {
        Err(FieldError::new("region", format!("'{}' is not a state code: write two letters, e.g. NY", s.trim())))
    }
}

/// The current version of a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub fields: SiteFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SiteInput {
        SiteInput {
            code: "MAIN".into(),
            name: "Main donor centre".into(),
            kind: "fixed".into(),
            address: "100 Main St".into(),
            city: "Springfield".into(),
            region: "il".into(),
            time_zone: "America/Chicago".into(),
            active: true,
        }
    }

    #[test]
    fn valid_site_passes() {
        let f = input().validate().unwrap();
        assert_eq!(f.code.as_str(), "MAIN");
        assert_eq!(f.time_zone.tz(), chrono_tz::America::Chicago);
        assert_eq!(f.region.as_deref(), Some("IL"), "a state code is kept in capitals");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut i = input();
        i.code = "main centre".into();
        i.kind = "van".into();
        i.time_zone = "Mars/Olympus".into();
        i.name = " ".into();
        i.region = "Illinois".into();
        let e = i.validate().unwrap_err();
        for f in ["code", "kind", "time_zone", "name", "region"] {
            assert!(e.message_for(f).is_some(), "{f} not reported in {e}");
        }
    }
}
