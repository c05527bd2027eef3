//! Hospital accounts: the customers that order products and therapeutic apheresis.

use crate::site::parse_code;
use crate::validation::{optional_email, optional_phone, optional_text, required_text, FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Orders are not accepted until the hold is lifted (credit, contract, quality).
    OnHold,
    Closed,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 3] = [AccountStatus::Active, AccountStatus::OnHold, AccountStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::OnHold => "on_hold",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("status", format!("'{}' is not an account status; use active, on_hold or closed", s.trim())))
    }
}

/// Account code people quote on orders and invoices, e.g. `H-STMARY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HospitalCode(String);

impl HospitalCode {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        parse_code("code", s).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hospital account as submitted, before any check.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HospitalInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    /// Code of the site that supplies this hospital.
    #[serde(default)]
    pub delivery_site: String,
    #[serde(default = "active")]
    pub status: String,
}

fn active() -> String {
    "active".into()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HospitalFields {
    pub code: HospitalCode,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Site code; the store checks it names a site.
    pub delivery_site: Option<String>,
    pub status: AccountStatus,
}

impl HospitalInput {
    pub fn validate(&self) -> Result<HospitalFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let code = e.take(HospitalCode::parse(&self.code));
        let name = e.take(required_text("name", &self.name, 160));
        let address = e.take(optional_text("address", &self.address, 200));
        let city = e.take(optional_text("city", &self.city, 80));
        let contact_name = e.take(optional_text("contact_name", &self.contact_name, 120));
        let contact_email = e.take(optional_email("contact_email", &self.contact_email));
        let contact_phone = e.take(optional_phone("contact_phone", &self.contact_phone));
        let delivery_site =
            e.take(optional_text("delivery_site", &self.delivery_site, 16).and_then(|s| s.map(|s| parse_code("delivery_site", &s)).transpose()));
        let status = e.take(AccountStatus::parse(&self.status));
        if !e.is_empty() {
            return Err(e);
        }
        Ok(HospitalFields {
            code: code.expect("checked"),
            name: name.expect("checked"),
            address: address.expect("checked"),
            city: city.expect("checked"),
            contact_name: contact_name.expect("checked"),
            contact_email: contact_email.expect("checked"),
            contact_phone: contact_phone.expect("checked"),
            delivery_site: delivery_site.expect("checked"),
            status: status.expect("checked"),
        })
    }
}

/// The current version of a hospital account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HospitalAccount {
    pub id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub fields: HospitalFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_hospital_passes_with_defaults() {
        let i = HospitalInput {
            code: "H-STMARY".into(),
            name: "St Mary's Hospital".into(),
            contact_email: "bloodbank@stmary.example".into(),
            status: "active".into(),
            ..Default::default()
        };
        let f = i.validate().unwrap();
        assert_eq!(f.status, AccountStatus::Active);
        assert_eq!(f.delivery_site, None);
    }

    #[test]
    fn unknown_status_and_bad_email_are_refused() {
        let i =
            HospitalInput { code: "H-1".into(), name: "X".into(), contact_email: "nobody".into(), status: "suspended".into(), ..Default::default() };
        let e = i.validate().unwrap_err();
        assert!(e.message_for("status").unwrap().contains("suspended"));
        assert!(e.message_for("contact_email").is_some());
    }
}
