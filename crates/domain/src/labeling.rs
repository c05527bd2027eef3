//! Turning what people type into ISBT 128 values for a label, and checking that a
//! label scanned back belongs to the unit (the release gate uses this).

use chrono::{NaiveDate, NaiveDateTime};
use isbt128::{BloodGroups, DataStructure, Date, DateTime, Din, ExpirationDateTime, ProductCode};

use crate::catalog::DatingRule;
use crate::typing::BloodGroupStatus;

use crate::validation::FieldError;

/// A DIN as typed or scanned: `A999926123456`, `=A99992612345600`, or the printed
/// form with its check character (`A9999 26 123456 [T]`), which must match.
pub fn parse_din(field: &'static str, s: &str) -> Result<Din, FieldError> {
    let t = s.trim();
    let r = if t.starts_with('=') {
        Din::parse(t)
    } else if t.len() == 13 {
        Din::parse_content(&format!("{t}00"))
    } else {
        Din::parse_keyed(t)
    };
    r.map_err(|e| FieldError::new(field, e.to_string()))
}

/// ABO/RhD as people write it (`O+`, `A NEG`, `AB pos`) or the ISBT 128 data (`=%5100`).
pub fn parse_blood_group(field: &'static str, s: &str) -> Result<BloodGroups, FieldError> {
    let t = s.trim();
    if t.starts_with("=%") {
        return BloodGroups::parse(t).map_err(|e| FieldError::new(field, e.to_string()));
    }
    let g = crate::BloodGroup::parse(t).map_err(|e| FieldError::new(field, e.message))?;
    let abo = match g.abo {
        crate::donor::Abo::O => isbt128::Abo::O,
        crate::donor::Abo::A => isbt128::Abo::A,
        crate::donor::Abo::B => isbt128::Abo::B,
        crate::donor::Abo::AB => isbt128::Abo::AB,
    };
    let rhd = if g.rhd_positive { isbt128::RhD::Positive } else { isbt128::RhD::Negative };
    let group = isbt128::BloodGroup::new(abo, Some(rhd), isbt128::IntendedUse::Default).map_err(|e| FieldError::new(field, e.to_string()))?;
    Ok(BloodGroups::new(group, isbt128::Phenotype::NONE))
}

/// A product code as `E0398V00` or `=<E0398V00`.
pub fn parse_product(field: &'static str, s: &str) -> Result<ProductCode, FieldError> {
    let t = s.trim();
    let data = if t.starts_with("=<") { t.to_string() } else { format!("=<{t}") };
    ProductCode::parse(&data).map_err(|e| FieldError::new(field, e.to_string()))
}

/// An expiry as local `YYYY-MM-DDTHH:MM` (or with a space) or ISBT 128 data (`&>…`).
pub fn parse_expiry(field: &'static str, s: &str) -> Result<ExpirationDateTime, FieldError> {
    let t = s.trim();
    if t.starts_with("&>") {
        return ExpirationDateTime::parse(t).map_err(|e| FieldError::new(field, e.to_string()));
    }
    let bad = || FieldError::new(field, format!("'{t}' is not a local date and time (write YYYY-MM-DDTHH:MM)"));
    let (d, hm) = t.split_once(['T', ' ']).ok_or_else(bad)?;
    let date = parse_date(field, d)?;
    let (h, m) = hm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let dt = DateTime::new(date, h, m).map_err(|e| FieldError::new(field, e.to_string()))?;
    ExpirationDateTime::new(dt).map_err(|e| FieldError::new(field, e.to_string()))
}

pub fn parse_date(field: &'static str, s: &str) -> Result<Date, FieldError> {
    let t = s.trim();
    let parts: Vec<&str> = t.split('-').collect();
    let bad = || FieldError::new(field, format!("'{t}' is not a date (write YYYY-MM-DD)"));
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (y, m, d) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    Date::new(y, m, d).map_err(|e| FieldError::new(field, e.to_string()))
}

/// Checked ISBT 128 values of a label, with its text.
#[derive(Debug, Clone)]
pub struct LabelValues {
    pub facility: String,
    pub din: Din,
    pub blood_groups: BloodGroups,
    pub product: ProductCode,
    pub expiry: ExpirationDateTime,
    pub collected: Option<Date>,
    /// Description lines, class first.
    pub description: Vec<String>,
}

/// What the record says about the DIN on a label request, read in the transaction that
/// records the print. Until labels print from component records, this is what a label
/// is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRecord {
    /// This facility's FIN.
    pub fin: String,
    /// This facility assigned the DIN (facility sequence, pre-printed label or import).
    pub assigned: bool,
    /// The donation with this DIN, if there is one.
    /// day on its site's calendar.
    pub donation: Option<LabelDonation>,
    /// The donor's blood group and what the registry says of it.
    pub group: Option<crate::BloodGroup>,
    pub group_status: BloodGroupStatus,
}

/// When the donation on a label was collected.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelDonation {
    /// The collection time, facility local time.
    pub at: NaiveDateTime,
    /// Its day on the site's calendar (what the record shows).
    pub site_day: NaiveDate,
    /// Its day on the other calendars a label may reasonably use (the facility's, UTC):
    /// near midnight they differ from the site's by a day.
    pub other_days: Vec<NaiveDate>,
}

/// One rule a label request breaks: its name, the field it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRefusal {
    pub rule: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl LabelRefusal {
    fn new(rule: &'static str, field: &'static str, detail: String) -> Self {
        Self { rule, field, message: format!("{rule}: {detail}") }
    }
}

fn chrono_date(d: Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year().into(), d.month().into(), d.day().into())
}

fn chrono_date_time(d: DateTime) -> Option<NaiveDateTime> {
    chrono_date(d.date())?.and_hms_opt(d.hour().into(), d.minute().into(), 0)
}

fn words(g: crate::BloodGroup) -> String {
    format!("{} Rh {}", g.abo_str(), if g.rhd_positive { "positive" } else { "negative" })
}

/// Checks a label request against the record and the product's dating, and returns
/// every rule it breaks (none: the label may print). `now` is the facility's local
/// time; `dating` is the catalog's for the product (`None`: the catalog sets none, so
/// the expiry cannot be checked and the label is refused).
pub fn check_label_against_record(values: &LabelValues, record: &LabelRecord, dating: Option<DatingRule>, now: NaiveDateTime) -> Vec<LabelRefusal> {
    let mut out = Vec::new();
    let din = values.din.din();
    let ours = values.din.fin().as_str() == record.fin;
    if !ours {
        out.push(LabelRefusal::new(
            "DIN of this facility",
            "din",
            format!("DIN {din} was assigned by facility {}, not by this facility ({})", values.din.fin().as_str(), record.fin),
        ));
    } else if !record.assigned {
        out.push(LabelRefusal::new("DIN assigned", "din", format!("DIN {din} was never assigned by this facility")));
    } else if record.donation.is_none() {
        out.push(LabelRefusal::new("DIN with a donation", "din", format!("no donation was collected with DIN {din}")));
    }
    if record.donation.is_some() {
        let label = values.blood_groups.group();
        match (record.group_status, record.group) {
            (BloodGroupStatus::Confirmed, Some(g)) => {
                let abo = match g.abo {
                    crate::donor::Abo::O => isbt128::Abo::O,
                    crate::donor::Abo::A => isbt128::Abo::A,
                    crate::donor::Abo::B => isbt128::Abo::B,
                    crate::donor::Abo::AB => isbt128::Abo::AB,
                };
                let rhd = if g.rhd_positive { isbt128::RhD::Positive } else { isbt128::RhD::Negative };
                if label.abo() != Some(abo) || label.rhd() != Some(rhd) {
                    out.push(LabelRefusal::new(
                        "blood group of the donor",
                        "blood_group",
                        format!("the label says {}, but the donor's confirmed group is {}", label_words(&label), words(g)),
                    ));
                }
            }
            (BloodGroupStatus::Discrepancy, _) => out.push(LabelRefusal::new(
                "blood group confirmed",
                "blood_group",
                "the donor's blood group determinations disagree; quality must resolve the discrepancy before a label prints".into(),
            )),
            _ => out.push(LabelRefusal::new(
                "blood group confirmed",
                "blood_group",
                "the donor's blood group is not confirmed yet (it needs two agreeing determinations)".into(),
            )),
        }
    }
    let expiry = chrono_date_time(values.expiry.date_time());
    let stated = values.collected.and_then(chrono_date);
    if let Some(day) = stated {
        let a_donation_day = record.donation.as_ref().is_some_and(|d| d.site_day == day || d.other_days.contains(&day));
        if day > now.date() && !a_donation_day {
            out.push(LabelRefusal::new(
                "collection not in the future",
                "collected_on",
                format!("the collection date {day} is after today ({})", now.date()),
            ));
        }
        if let Some(d) = &record.donation {
            let donation_day = d.site_day;
            if day != donation_day && !d.other_days.contains(&day) {
                out.push(LabelRefusal::new(
                    "collection date of the donation",
                    "collected_on",
                    format!("the label says collected on {day}, but the donation was collected on {donation_day}"),
                ));
            }
        }
    }
    // The dating runs from the donation's collection, else from the stated day; the
    // expiry may come before neither.
    let stated_start = stated.and_then(|d| d.and_hms_opt(0, 0, 0));
    let donated = record.donation.as_ref().map(|d| d.at);
    let collected = donated.or(stated_start);
    let earliest = donated.max(stated_start);
    if let (Some(exp), Some(col), Some(first)) = (expiry, collected, earliest) {
        let exp_text = exp.format("%Y-%m-%d %H:%M");
        if exp < first {
            out.push(LabelRefusal::new(
                "expiry after collection",
                "expires_at",
                format!("the expiry {exp_text} is before the collection ({})", first.format("%Y-%m-%d %H:%M")),
            ));
        } else {
            match dating.and_then(|d| d.expiry(col).map(|latest| (d, latest))) {
                Some((d, latest)) if exp > latest => out.push(LabelRefusal::new(
                    "expiry within the product's dating",
                    "expires_at",
                    format!(
                        "{} keeps {} from collection, so it expires at {} at the latest, not {exp_text}",
                        values.product.pdc().as_str(),
                        dating_words(d),
                        latest.format("%Y-%m-%d %H:%M")
                    ),
                )),
                Some(_) => {}
                None => out.push(LabelRefusal::new(
                    "expiry within the product's dating",
                    "product_code",
                    format!("the catalog gives {} no dating, so its expiry cannot be checked", values.product.pdc().as_str()),
                )),
            }
        }
    }
    out
}

fn label_words(g: &isbt128::BloodGroup) -> String {
    let abo = g.abo().map_or("no ABO", |a| a.as_str());
    match g.rhd() {
        Some(isbt128::RhD::Positive) => format!("{abo} Rh positive"),
        Some(isbt128::RhD::Negative) => format!("{abo} Rh negative"),
        _ => abo.to_string(),
    }
}

fn dating_words(d: DatingRule) -> String {
    match d {
        DatingRule::Hours(n) => format!("{n} hours"),
        DatingRule::Days(n) => format!("{n} days"),
        DatingRule::Years(n) => format!("{n} year{}", if n == 1 { "" } else { "s" }),
    }
}

/// Why a scanned label does not belong to the unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelMismatch {
    #[error("the scan could not be read: {0}")]
    Unreadable(String),
    #[error("the scan holds no DIN; scan the DIN barcode (top left)")]
    NoDin,
    #[error("the scan holds no product code; scan the product barcode (bottom left)")]
    NoProduct,
    #[error("the label's DIN is {scanned}, but this unit is {expected}")]
    WrongDin { expected: String, scanned: String },
    #[error("the label's product code is {scanned}, but this unit is {expected}")]
    WrongProduct { expected: String, scanned: String },
}

/// Checks scans of a label (one concatenated scan or several) against the unit's
/// DIN and product code. Flags are not compared: the same DIN carries different
/// flags on different containers.
pub fn verify_label(expected_din: &Din, expected_product: &ProductCode, scans: &[&str]) -> Result<(), LabelMismatch> {
    let mut din = None;
    let mut product = None;
    for scan in scans {
        for item in isbt128::decode(scan).map_err(|e| LabelMismatch::Unreadable(e.to_string()))? {
            match item {
                DataStructure::Din(d) => din = Some(d),
                DataStructure::ProductCode(p) => product = Some(p),
                _ => {}
            }
        }
    }
    let din = din.ok_or(LabelMismatch::NoDin)?;
    let product = product.ok_or(LabelMismatch::NoProduct)?;
    if din.din() != expected_din.din() {
        return Err(LabelMismatch::WrongDin { expected: expected_din.din().to_string(), scanned: din.din().to_string() });
    }
    if product.encode() != expected_product.encode() {
        return Err(LabelMismatch::WrongProduct { expected: expected_product.encode(), scanned: product.encode() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_become_codec_values() {
        assert_eq!(parse_din("din", "A999926123456").unwrap().encode(), "=A99992612345600");
        assert_eq!(parse_din("din", "=A99992612345600").unwrap().din(), "A999926123456");
        assert_eq!(parse_din("din", "A9999 26 123456 [T]").unwrap().din(), "A999926123456");
        assert!(parse_din("din", "A9999 26 123456 [M]").unwrap_err().message.contains("T"));
        assert_eq!(parse_blood_group("g", "O+").unwrap().encode(), "=%5100");
        let ab_neg = parse_blood_group("g", "ab neg").unwrap();
        assert_eq!(ab_neg.encode(), parse_blood_group("g", "AB-").unwrap().encode());
        assert_eq!(ab_neg.group().abo(), Some(isbt128::Abo::AB));
        assert_eq!(ab_neg.group().rhd(), Some(isbt128::RhD::Negative));
        assert!(parse_blood_group("g", "C+").is_err());
        assert_eq!(parse_product("p", "E0398V00").unwrap().encode(), "=<E0398V00");
        assert!(parse_product("p", "e0398v00").is_err());
        assert_eq!(parse_expiry("e", "2026-12-31T23:59").unwrap().encode(), "&>0263652359");
        assert_eq!(parse_expiry("e", "&>0263652359").unwrap().encode(), "&>0263652359");
        for bad in ["2026-02-30T10:00", "2026-12-31T25:00", "tomorrow", "2026-12-31"] {
            assert!(parse_expiry("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_scan_must_match_the_unit() {
        let din = parse_din("din", "A999926123456").unwrap();
        let product = parse_product("p", "E0398V00").unwrap();
        assert_eq!(verify_label(&din, &product, &["=A99992612345600", "=<E0398V00&>0263652359"]), Ok(()));
        // Same DIN with other flags still matches.
        assert_eq!(verify_label(&din, &product, &["=A99992612345601=<E0398V00"]), Ok(()));
        assert!(matches!(verify_label(&din, &product, &["=A99992612345700=<E0398V00"]), Err(LabelMismatch::WrongDin { .. })));
        assert!(matches!(verify_label(&din, &product, &["=A99992612345600=<E0398VA0"]), Err(LabelMismatch::WrongProduct { .. })));
        assert_eq!(verify_label(&din, &product, &["=<E0398V00"]), Err(LabelMismatch::NoDin));
        assert_eq!(verify_label(&din, &product, &["=A99992612345600"]), Err(LabelMismatch::NoProduct));
        assert!(matches!(verify_label(&din, &product, &["garbage"]), Err(LabelMismatch::Unreadable(_))));
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn values(din: &str, group: &str, expiry: &str, collected: Option<&str>) -> LabelValues {
        LabelValues {
            facility: "Test".into(),
            din: parse_din("din", din).unwrap(),
            blood_groups: parse_blood_group("g", group).unwrap(),
            product: parse_product("p", "E0398V00").unwrap(),
            expiry: parse_expiry("e", expiry).unwrap(),
            collected: collected.map(|c| parse_date("c", c).unwrap()),
            description: vec![],
        }
    }

    /// A whole blood donation of an O- donor (confirmed), collected 2026-12-01 09:30.
    fn record() -> LabelRecord {
        LabelRecord {
            fin: "A9999".into(),
            assigned: true,
            donation: Some(LabelDonation {
                at: at("2026-12-01 09:30"),
                site_day: "2026-12-01".parse().unwrap(),
                other_days: vec!["2026-12-02".parse().unwrap()],
            }),
            group: Some(crate::BloodGroup::parse("O-").unwrap()),
            group_status: BloodGroupStatus::Confirmed,
        }
    }

    fn rules(v: &LabelValues, r: &LabelRecord) -> Vec<&'static str> {
        check_label_against_record(v, r, Some(DatingRule::Days(28)), at("2026-12-02 10:00")).into_iter().map(|x| x.rule).collect()
    }

    #[test]
    fn a_label_that_agrees_with_the_record_prints_up_to_the_last_minute_of_its_dating() {
        // Day 0 is the collection day: 28 days later at 23:59.
        let v = values("A999926000017", "O NEG", "2026-12-29T23:59", Some("2026-12-01"));
        assert_eq!(rules(&v, &record()), Vec::<&str>::new());
        let v = values("A999926000017", "O NEG", "2026-12-29T23:59", None);
        assert_eq!(rules(&v, &record()), Vec::<&str>::new(), "the collection date may be left to the record");
        let late = values("A999926000017", "O NEG", "2026-12-30T00:00", None);
        assert_eq!(rules(&late, &record()), ["expiry within the product's dating"], "one minute over");
    }

    #[test]
    fn each_rule_refuses_on_its_own_and_names_itself() {
        let ok = || values("A999926000017", "O-", "2026-12-20T23:59", Some("2026-12-01"));
        let r = record();
        assert_eq!(rules(&values("B123426000017", "O-", "2026-12-20T23:59", Some("2026-12-01")), &r), ["DIN of this facility"]);
        assert_eq!(rules(&ok(), &LabelRecord { assigned: false, donation: None, ..record() }), ["DIN assigned"]);
        assert_eq!(rules(&ok(), &LabelRecord { donation: None, ..record() }), ["DIN with a donation"]);
        assert_eq!(rules(&values("A999926000017", "A+", "2026-12-20T23:59", Some("2026-12-01")), &r), ["blood group of the donor"]);
        assert_eq!(rules(&values("A999926000017", "O+", "2026-12-20T23:59", Some("2026-12-01")), &r), ["blood group of the donor"], "RhD counts");
        assert_eq!(rules(&ok(), &LabelRecord { group_status: BloodGroupStatus::Unconfirmed, ..record() }), ["blood group confirmed"]);
        assert_eq!(rules(&ok(), &LabelRecord { group_status: BloodGroupStatus::Discrepancy, ..record() }), ["blood group confirmed"]);
        assert_eq!(rules(&ok(), &LabelRecord { group: None, group_status: BloodGroupStatus::None, ..record() }), ["blood group confirmed"]);
        assert_eq!(rules(&values("A999926000017", "O-", "2026-12-20T23:59", Some("2026-11-30")), &r), ["collection date of the donation"]);
        assert_eq!(
            rules(&values("A999926000017", "O-", "2026-12-20T23:59", Some("2026-12-02")), &r),
            Vec::<&str>::new(),
            "the day on another calendar"
        );
        assert_eq!(rules(&values("A999926000017", "O-", "2027-06-20T23:59", Some("2026-12-01")), &r), ["expiry within the product's dating"]);
        assert_eq!(rules(&values("A999926000017", "O-", "2026-12-01T09:00", None), &r), ["expiry after collection"]);
        let none = check_label_against_record(&ok(), &r, None, at("2026-12-02 10:00"));
        assert_eq!(none.iter().map(|x| x.rule).collect::<Vec<_>>(), ["expiry within the product's dating"]);
        assert_eq!(none[0].field, "product_code");
        let m = &check_label_against_record(
            &values("A999926000017", "A+", "2026-12-20T23:59", None),
            &r,
            Some(DatingRule::Days(28)),
            at("2026-12-02 10:00"),
        )[0];
        assert_eq!(m.message, "blood group of the donor: the label says A Rh positive, but the donor's confirmed group is O Rh negative");
        assert_eq!(m.field, "blood_group");
    }

    #[test]
    fn several_broken_rules_are_all_named() {
        // A future collection date that is not the donation's, with an expiry before it, for the wrong group.
        let v = values("A999926000017", "AB+", "2026-12-25T23:59", Some("2026-12-30"));
        let got = rules(&v, &record());
        assert_eq!(got, ["blood group of the donor", "collection not in the future", "collection date of the donation", "expiry after collection"]);
        // Without a donation the stated collection day is what the expiry is measured from.
        let v = values("A999926000017", "O-", "2026-12-25T23:59", Some("2026-12-30"));
        let got = rules(&v, &LabelRecord { assigned: false, donation: None, ..record() });
        assert_eq!(got, ["DIN assigned", "collection not in the future", "expiry after collection"]);
    }
}
