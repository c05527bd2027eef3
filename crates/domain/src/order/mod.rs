//! Hospital orders and the allocation of units to them.
//!
//! An order line asks for a product class, an ABO/RhD group, a quantity and the
//! attributes the patients need. Allocation proposes released units for it: unexpired,
//! compatible by the rules of [`crate::compatibility`], with every attribute asked for,
//! first-expiring-first-out, and O-negative red cells kept for those who need them. The
//! same check answers "may this unit fill this line?" when staff pick a unit by hand or
//! scan it at packing, so a unit the rules refuse is refused everywhere with one reason.

use crate::compatibility::{compatible, CompatibilityCase, CompatibilityClass, Group};
use crate::component::{Attribute, ComponentKind, ComponentState};
use crate::donor::Abo;
use crate::inventory::ProductClass;
use crate::validation::{FieldError, FieldErrors};
use crate::BloodGroup;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

mod allocation;
mod shipping;
mod standing;
pub use allocation::*;
pub use shipping::*;
pub use standing::*;

/// How soon the hospital needs the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Immediately: a patient is bleeding now.
    Stat,
    /// As soon as possible, within hours.
    Asap,
    /// The next routine delivery.
    Routine,
    /// Generated from the hospital's standing order (par levels).
    Standing,
}

impl Priority {
    pub const ALL: [Self; 4] = [Self::Stat, Self::Asap, Self::Routine, Self::Standing];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stat => "stat",
            Self::Asap => "asap",
            Self::Routine => "routine",
            Self::Standing => "standing",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Stat => "STAT",
            Self::Asap => "ASAP",
            Self::Routine => "Routine",
            Self::Standing => "Standing order",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("'{}' is not a priority; use stat, asap, routine or standing", s.trim()))
    }

    /// The due time when the hospital gives none: STAT within 1 hour, ASAP within 4,
    /// routine and standing orders by the next day's delivery (24 and 48 hours).
    pub fn default_due(self, placed: DateTime<Utc>) -> DateTime<Utc> {
        placed
            + match self {
                Self::Stat => Duration::hours(1),
                Self::Asap => Duration::hours(4),
                Self::Routine => Duration::hours(24),
                Self::Standing => Duration::hours(48),
            }
    }

    /// Whether the delivery is charged at the urgent rate.
    pub fn urgent(self) -> bool {
        matches!(self, Self::Stat | Self::Asap)
    }
}

impl TryFrom<String> for Priority {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

/// How the order reached the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Portal,
    Api,
    Phone,
    Standing,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Api => "api",
            Self::Phone => "phone",
            Self::Standing => "standing",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::Portal => "Hospital portal",
            Self::Api => "Hospital system (API)",
            Self::Phone => "Phone, entered by distribution",
            Self::Standing => "Standing order",
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        [Self::Portal, Self::Api, Self::Phone, Self::Standing]
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not an order channel"))
    }
}

/// Where an order stands, as the hospital sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Received,
    /// Some lines have their units, others wait (back-order).
    PartlyAllocated,
    Allocated,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderState {
    pub const ALL: [Self; 6] = [Self::Received, Self::PartlyAllocated, Self::Allocated, Self::Shipped, Self::Delivered, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::PartlyAllocated => "partly_allocated",
            Self::Allocated => "allocated",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::PartlyAllocated => "Partly allocated (back-order)",
            Self::Allocated => "Allocated",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Whether units may still be allocated to the order.
    pub fn open(self) -> bool {
        matches!(self, Self::Received | Self::PartlyAllocated | Self::Allocated)
    }
}

impl TryFrom<String> for OrderState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("'{s}' is not an order state"))
    }
}

/// What a patient needs of a unit beyond product and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Irradiated,
    Leukoreduced,
    Washed,
    CmvNegative,
    HbsNegative,
    /// Negative for the antigens the line names (the patient has the antibodies).
    AntigenNegative,
    /// Selected for the patient by the laboratory: never proposed automatically.
    HlaMatched,
}

impl Requirement {
    pub const ALL: [Self; 7] =
        [Self::Irradiated, Self::Leukoreduced, Self::Washed, Self::CmvNegative, Self::HbsNegative, Self::AntigenNegative, Self::HlaMatched];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Irradiated => "irradiated",
            Self::Leukoreduced => "leukoreduced",
            Self::Washed => "washed",
            Self::CmvNegative => "cmv_negative",
            Self::HbsNegative => "hbs_negative",
            Self::AntigenNegative => "antigen_negative",
            Self::HlaMatched => "hla_matched",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Irradiated => "irradiated",
            Self::Leukoreduced => "leukoreduced",
            Self::Washed => "washed",
            Self::CmvNegative => "CMV-negative",
            Self::HbsNegative => "HbS-negative",
            Self::AntigenNegative => "antigen-negative",
            Self::HlaMatched => "HLA-matched",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|r| r.as_str() == t).ok_or_else(|| {
            format!("'{}' is not a requirement; use {}", s.trim(), Self::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))
        })
    }
}

/// Requirements as stored: comma-separated names.
pub fn requirements_text(r: &BTreeSet<Requirement>) -> String {
    r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
}

pub fn parse_requirements(s: &str) -> Result<BTreeSet<Requirement>, String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(Requirement::parse).collect()
}

/// Red cell antigens a line may ask units to lack (the common clinically significant
/// ones; the typing in the donor registry is stored as `antigen:<name>`).
pub const ANTIGENS: [&str; 14] = ["D", "C", "c", "E", "e", "K", "k", "Fya", "Fyb", "Jka", "Jkb", "S", "s", "M"];

/// One line of an order as submitted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub product: String,
    /// "O+", "AB-", or "any" (platelets and cryo only).
    #[serde(default)]
    pub blood_group: String,
    pub quantity: i64,
    #[serde(default)]
    pub requirements: Vec<String>,
    /// For antigen-negative: the antigens, e.g. ["K", "E"].
    #[serde(default)]
    pub antigens: Vec<String>,
    /// Red cells no older than this many days since collection.
    #[serde(default)]
    pub max_age_days: Option<i64>,
    /// Whether compatible groups may be sent when the group asked for is short.
    #[serde(default)]
    pub substitution: bool,
}

/// An order as submitted (portal, API or phone).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// The hospital account's code (staff taking a phone call; a hospital user's own account otherwise).
    #[serde(default)]
    pub hospital: String,
    pub priority: String,
    /// When the hospital needs it; empty for the priority's default.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// The hospital's own reference (purchase order, patient request number).
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<LineInput>,
}

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub product: ProductClass,
    /// `None`: any group (platelets and cryo).
    pub group: Option<BloodGroup>,
    pub quantity: i64,
    pub requirements: BTreeSet<Requirement>,
    pub antigens: Vec<String>,
    pub max_age_days: Option<i64>,
    pub substitution: bool,
}

/// A checked order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFields {
    pub priority: Priority,
    pub due_at: DateTime<Utc>,
    pub reference: String,
    pub note: String,
    pub lines: Vec<Line>,
}

/// The most units one line may ask for (a larger need is a conversation, not a form).
pub const MAX_LINE_QUANTITY: i64 = 200;
pub const MAX_LINES: usize = 30;

impl LineInput {
    fn validate(&self, i: usize, e: &mut FieldErrors) -> Option<Line> {
        let f = |name: &str| format!("lines[{i}].{name}");
        let product = e.take(ProductClass::parse(&self.product).map_err(|m| FieldError::new(f("product"), m)));
        let group_text = self.blood_group.trim();
        let group = if group_text.is_empty() || group_text.eq_ignore_ascii_case("any") {
            match product {
                Some(ProductClass::Platelets | ProductClass::Cryo) | None => Some(None),
                Some(p) => {
                    e.0.push(FieldError::new(f("blood_group"), format!("say which ABO/RhD group of {} (e.g. O-)", p.title().to_lowercase())));
                    None
                }
            }
        } else {
            e.take(BloodGroup::parse(group_text).map(Some).map_err(|x| FieldError::new(f("blood_group"), x.message)))
        };
        if !(1..=MAX_LINE_QUANTITY).contains(&self.quantity) {
            e.0.push(FieldError::new(f("quantity"), format!("ask for 1 to {MAX_LINE_QUANTITY} units")));
        }
        let mut requirements = BTreeSet::new();
        for r in &self.requirements {
            if let Some(r) = e.take(Requirement::parse(r).map_err(|m| FieldError::new(f("requirements"), m))) {
                requirements.insert(r);
            }
        }
        let mut antigens: Vec<String> = vec![];
        for a in &self.antigens {
            match ANTIGENS.iter().find(|x| **x == a.trim()) {
                Some(x) if !antigens.iter().any(|y| y == x) => antigens.push(x.to_string()),
                Some(_) => {}
                None => e.0.push(FieldError::new(f("antigens"), format!("'{}' is not an antigen we type; use {}", a.trim(), ANTIGENS.join(", ")))),
            }
        }
        if requirements.contains(&Requirement::AntigenNegative) && antigens.is_empty() && self.antigens.is_empty() {
            e.0.push(FieldError::new(f("antigens"), "name the antigens the units must lack (e.g. K, E)"));
        }
        if !antigens.is_empty() && !requirements.contains(&Requirement::AntigenNegative) {
            requirements.insert(Requirement::AntigenNegative);
        }
        if let Some(p) = product {
            let cellular = matches!(p, ProductClass::RedCells | ProductClass::WholeBlood);
            if requirements.contains(&Requirement::AntigenNegative) && !cellular {
                e.0.push(FieldError::new(f("antigens"), "antigen-negative applies to red cells and whole blood"));
            }
            if requirements.contains(&Requirement::HlaMatched) && p != ProductClass::Platelets {
                e.0.push(FieldError::new(f("requirements"), "HLA-matched applies to platelets"));
            }
            if self.max_age_days.is_some() && !cellular {
                e.0.push(FieldError::new(f("max_age_days"), "a maximum age applies to red cells and whole blood"));
            }
        }
        if let Some(d) = self.max_age_days {
            if !(1..=42).contains(&d) {
                e.0.push(FieldError::new(f("max_age_days"), "give a maximum age of 1 to 42 days"));
            }
        }
        Some(Line {
            product: product?,
            group: group?,
            quantity: self.quantity,
            requirements,
            antigens,
            max_age_days: self.max_age_days,
            substitution: self.substitution,
        })
    }
}

impl OrderInput {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<OrderFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let priority = e.take(Priority::parse(&self.priority).map_err(|m| FieldError::new("priority", m)));
        if let Some(d) = self.due_at {
            if d <= now {
                e.0.push(FieldError::new("due_at", "the due time has passed; give a time from now on"));
            }
        }
        if self.lines.is_empty() {
            e.0.push(FieldError::new("lines", "an order needs at least one line"));
        }
        if self.lines.len() > MAX_LINES {
            e.0.push(FieldError::new("lines", format!("an order has at most {MAX_LINES} lines")));
        }
        if self.reference.trim().chars().count() > 60 {
            e.0.push(FieldError::new("reference", "keep the reference to 60 characters"));
        }
        if self.note.trim().chars().count() > 2000 {
            e.0.push(FieldError::new("note", "keep the note to 2000 characters"));
        }
        let lines: Vec<Option<Line>> = self.lines.iter().enumerate().map(|(i, l)| l.validate(i, &mut e)).collect();
        if !e.is_empty() {
            return Err(e);
        }
        let priority = priority.expect("checked");
        Ok(OrderFields {
            priority,
            due_at: self.due_at.unwrap_or_else(|| priority.default_due(now)),
            reference: self.reference.trim().to_string(),
            note: self.note.trim().to_string(),
            lines: lines.into_iter().map(|l| l.expect("checked")).collect(),
        })
    }
}

/// The line in words: "4 × O- red cells, irradiated, CMV-negative".
pub fn line_words(l: &Line) -> String {
    let mut s =
        format!("{} × {} {}", l.quantity, l.group.map_or_else(|| "any group".to_string(), |g| g.to_string()), l.product.title().to_lowercase());
    for r in &l.requirements {
        s.push_str(", ");
        if *r == Requirement::AntigenNegative {
            s.push_str(&format!("{}-negative", l.antigens.join(", ")));
        } else {
            s.push_str(r.title());
        }
    }
    if let Some(d) = l.max_age_days {
        s.push_str(&format!(", at most {d} days old"));
    }
    if l.substitution {
        s.push_str(" (compatible groups accepted)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    fn g(s: &str) -> BloodGroup {
        BloodGroup::parse(s).unwrap()
    }

    fn unit(n: u8, kind: ComponentKind, group: &str, expires_in_h: i64) -> Candidate {
        Candidate {
            id: Uuid::from_u128(n as u128),
            din: format!("W0000260000{n:02}"),
            product_code: "E0382V00".into(),
            kind,
            state: ComponentState::Available,
            group: Some(g(group)),
            attributes: BTreeSet::from([Attribute::Leukoreduced]),
            special: vec![],
            antigens_negative: vec![],
            collected_at: Some(now() - Duration::days(5)),
            expires_at: now() + Duration::hours(expires_in_h),
            open_holds: 0,
        }
    }

    fn line(product: ProductClass, group: Option<&str>, quantity: i64, substitution: bool) -> Line {
        Line { product, group: group.map(g), quantity, requirements: BTreeSet::new(), antigens: vec![], max_age_days: None, substitution }
    }

    #[test]
    fn an_order_is_checked_field_by_field() {
        let input = OrderInput {
            priority: "soon".into(),
            lines: vec![
                LineInput { product: "red_cells".into(), blood_group: "".into(), quantity: 0, ..Default::default() },
                LineInput { product: "plasma".into(), blood_group: "A+".into(), quantity: 2, max_age_days: Some(5), ..Default::default() },
                LineInput { product: "platelets".into(), quantity: 1, antigens: vec!["Q".into()], ..Default::default() },
            ],
            ..Default::default()
        };
        let e = input.validate(now()).unwrap_err();
        for field in ["priority", "lines[0].blood_group", "lines[0].quantity", "lines[1].max_age_days", "lines[2].antigens"] {
            assert!(e.message_for(field).is_some(), "{field} in {e}");
        }
        let ok = OrderInput {
            priority: "stat".into(),
            lines: vec![LineInput {
                product: "red_cells".into(),
                blood_group: "O neg".into(),
                quantity: 2,
                antigens: vec!["K".into()],
                requirements: vec!["Irradiated".into()],
                ..Default::default()
            }],
            ..Default::default()
        }
        .validate(now())
        .unwrap();
        assert_eq!(ok.due_at, now() + Duration::hours(1));
        assert!(ok.lines[0].requirements.contains(&Requirement::AntigenNegative));
        assert_eq!(line_words(&ok.lines[0]), "2 × O- red cells, irradiated, K-negative");
    }

    #[test]
    fn the_first_expiring_identical_units_go_first() {
        let stock = vec![
            unit(1, ComponentKind::RedCells, "A+", 300),
            unit(2, ComponentKind::RedCells, "A+", 200),
            unit(3, ComponentKind::RedCells, "O+", 100),
            unit(4, ComponentKind::RedCells, "A+", 400),
        ];
        let mut oneg = 0;
        let p =
            propose(&line(ProductClass::RedCells, Some("A+"), 2, true), 2, &stock, &BTreeSet::new(), &mut oneg, &AllocationPolicy::default(), now());
        assert_eq!(p.picks.iter().map(|x| x.unit).collect::<Vec<_>>(), vec![Uuid::from_u128(2), Uuid::from_u128(1)]);
        assert!(p.short.is_none());
        // Three asked: the substitute O+ comes after the identical ones.
        let p =
            propose(&line(ProductClass::RedCells, Some("A+"), 4, true), 4, &stock, &BTreeSet::new(), &mut oneg, &AllocationPolicy::default(), now());
        assert_eq!(p.picks.last().unwrap().unit, Uuid::from_u128(3));
        assert!(p.short.is_none());
    }

    #[test]
    fn without_substitution_only_the_group_asked_for_is_sent() {
        let stock = vec![unit(1, ComponentKind::RedCells, "O+", 300), unit(2, ComponentKind::RedCells, "A+", 300)];
        let mut oneg = 0;
        let p =
            propose(&line(ProductClass::RedCells, Some("A+"), 2, false), 2, &stock, &BTreeSet::new(), &mut oneg, &AllocationPolicy::default(), now());
        assert_eq!(p.picks.len(), 1);
        let (n, why) = p.short.unwrap();
        assert_eq!(n, 1);
        assert!(why.contains("accepts only A+"), "{why}");
    }

    #[test]
    fn incompatible_units_are_never_proposed() {
        // A+ red cells for an O- line; AB plasma is universal, O plasma is not.
        let stock = vec![unit(1, ComponentKind::RedCells, "A+", 300), unit(2, ComponentKind::RedCells, "O+", 300)];
        let mut oneg = 0;
        let p =
            propose(&line(ProductClass::RedCells, Some("O-"), 2, true), 2, &stock, &BTreeSet::new(), &mut oneg, &AllocationPolicy::default(), now());
        assert!(p.picks.is_empty());
        assert!(p.short.unwrap().1.contains("incompatible"));
        let plasma = vec![unit(3, ComponentKind::Ffp, "AB+", 3000), unit(4, ComponentKind::Ffp, "O+", 3000)];
        let p =
            propose(&line(ProductClass::Plasma, Some("A-"), 2, true), 2, &plasma, &BTreeSet::new(), &mut oneg, &AllocationPolicy::default(), now());
        assert_eq!(p.picks.iter().map(|x| x.unit).collect::<Vec<_>>(), vec![Uuid::from_u128(3)]);
    }

    #[test]
    fn o_negative_red_cells_are_kept_for_o_negative_patients() {
        let policy = AllocationPolicy { o_negative_reserve: 2, ..Default::default() };
        let stock: Vec<Candidate> = (1..=3).map(|n| unit(n, ComponentKind::RedCells, "O-", 300)).collect();
        // An O+ line may take O- only down to the reserve: one of three.
        let mut oneg = 3;
        let p = propose(&line(ProductClass::RedCells, Some("O+"), 3, true), 3, &stock, &BTreeSet::new(), &mut oneg, &policy, now());
        assert_eq!(p.picks.len(), 1);
        assert_eq!(oneg, 2);
        assert!(p.short.unwrap().1.contains("kept for O-negative patients"));
        // An O- line takes them all.
        let mut oneg = 3;
        let p = propose(&line(ProductClass::RedCells, Some("O-"), 3, false), 3, &stock, &BTreeSet::new(), &mut oneg, &policy, now());
        assert_eq!(p.picks.len(), 3);
    }

    #[test]
    fn requirements_age_holds_and_expiry_are_checked() {
        let mut irr = unit(1, ComponentKind::RedCells, "B+", 300);
        irr.attributes.insert(Attribute::Irradiated);
        irr.special = vec!["CMV-negative".into()];
        irr.antigens_negative = vec!["K".into(), "E".into()];
        let plain = unit(2, ComponentKind::RedCells, "B+", 300);
        let mut l = line(ProductClass::RedCells, Some("B+"), 1, false);
        l.requirements = BTreeSet::from([Requirement::Irradiated, Requirement::CmvNegative, Requirement::AntigenNegative]);
        l.antigens = vec!["K".into()];
        let policy = AllocationPolicy::default();
        assert!(fit(&l, &irr, now(), &policy, 0).is_ok());
        assert_eq!(fit(&l, &plain, now(), &policy, 0).unwrap_err().0, Misfit::Requirement(Requirement::Irradiated));
        l.antigens = vec!["K".into(), "Fya".into()];
        assert_eq!(fit(&l, &irr, now(), &policy, 0).unwrap_err().0, Misfit::Requirement(Requirement::AntigenNegative));
        l.antigens = vec!["K".into()];
        l.max_age_days = Some(3);
        assert_eq!(fit(&l, &irr, now(), &policy, 0).unwrap_err().0, Misfit::TooOld);
        l.max_age_days = None;
        let mut held = irr.clone();
        held.open_holds = 1;
        assert_eq!(fit(&l, &held, now(), &policy, 0).unwrap_err().0, Misfit::OnHold);
        let mut quarantined = irr.clone();
        quarantined.state = ComponentState::Quarantine;
        assert_eq!(fit(&l, &quarantined, now(), &policy, 0).unwrap_err().0, Misfit::NotAvailable);
        let mut old = irr.clone();
        old.expires_at = now();
        assert_eq!(fit(&l, &old, now(), &policy, 0).unwrap_err().0, Misfit::Expired);
        let mut reserved = irr;
        reserved.state = ComponentState::Reserved;
        assert_eq!(fit(&l, &reserved, now(), &policy, 0).unwrap_err().0, Misfit::NotAvailable);
    }

    #[test]
    fn short_dated_units_carry_a_warning() {
        let policy = AllocationPolicy::default();
        let soon = unit(1, ComponentKind::RedCells, "A+", 30);
        let f = fit(&line(ProductClass::RedCells, Some("A+"), 1, false), &soon, now(), &policy, 0).unwrap();
        assert!(f.warning.unwrap().contains("expires in 30 hours"));
        let plt = unit(2, ComponentKind::Platelets, "A+", 30);
        assert!(fit(&line(ProductClass::Platelets, None, 1, false), &plt, now(), &policy, 0).unwrap().warning.is_none());
    }

    #[test]
    fn plasma_and_cryo_ignore_rhd_and_hla_lines_wait_for_the_laboratory() {
        let policy = AllocationPolicy::default();
        let ffp = unit(1, ComponentKind::Ffp, "A-", 3000);
        assert!(fit(&line(ProductClass::Plasma, Some("A+"), 1, false), &ffp, now(), &policy, 0).unwrap().identical);
        let plt = unit(2, ComponentKind::Platelets, "A+", 100);
        let mut l = line(ProductClass::Platelets, None, 1, false);
        l.requirements.insert(Requirement::HlaMatched);
        let mut oneg = 0;
        let p = propose(&l, 1, &[plt], &BTreeSet::new(), &mut oneg, &policy, now());
        assert!(p.picks.is_empty());
        assert!(p.short.unwrap().1.contains("laboratory"));
    }

    #[test]
    fn taken_units_are_skipped() {
        let stock = vec![unit(1, ComponentKind::RedCells, "A+", 300)];
        let mut oneg = 0;
        let p = propose(
            &line(ProductClass::RedCells, Some("A+"), 1, false),
            1,
            &stock,
            &BTreeSet::from([Uuid::from_u128(1)]),
            &mut oneg,
            &AllocationPolicy::default(),
            now(),
        );
        assert!(p.picks.is_empty());
        assert_eq!(p.short.unwrap().0, 1);
    }

    #[test]
    fn shipping_classes_follow_storage() {
        assert_eq!(ShippingClass::of(ComponentKind::RedCells), ShippingClass::Refrigerated);
        assert_eq!(ShippingClass::of(ComponentKind::Ffp), ShippingClass::Frozen);
        assert_eq!(ShippingClass::of(ComponentKind::Cryo), ShippingClass::Frozen);
        assert_eq!(ShippingClass::of(ComponentKind::Platelets), ShippingClass::RoomTemperature);
    }
}
