//! A donor's blood group history and special attributes: red cell antigens, CMV, HbS,
//! IgA and HLA. Pure checks and the rule that turns a history of determinations into
//! a status (confirmed, unconfirmed, discrepancy).

use crate::donor::BloodGroup;
use crate::validation::FieldError;
use serde::Serialize;

/// Red cell antigens typed on donors for antigen-negative units.
pub const ANTIGENS: [&str; 14] = ["C", "c", "E", "e", "K", "k", "Fya", "Fyb", "Jka", "Jkb", "S", "s", "M", "N"];

/// One antigen with its result: `K-` is (K, false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AntigenResult {
    pub antigen: &'static str,
    pub positive: bool,
}

impl AntigenResult {
    pub fn sign(&self) -> &'static str {
        if self.positive {
            "+"
        } else {
            "-"
        }
    }
}

/// Reads "K-, E-, c+" (commas or spaces between; names are case-sensitive: c is not C).
pub fn parse_antigens(field: &'static str, s: &str) -> Result<Vec<AntigenResult>, FieldError> {
    let mut out: Vec<AntigenResult> = Vec::new();
    for token in s.split([',', ' ', ';']).map(str::trim).filter(|t| !t.is_empty()) {
        let (name, positive) = if let Some(n) = token.strip_suffix('+') {
            (n, true)
        } else if let Some(n) = token.strip_suffix('-').or_else(|| token.strip_suffix('−')) {
            (n, false)
        } else {
            return Err(FieldError::new(field, format!("'{token}' has no result; write the antigen then + or -, e.g. K-")));
        };
        let antigen = ANTIGENS
            .into_iter()
            .find(|a| *a == name)
            .ok_or_else(|| FieldError::new(field, format!("'{name}' is not a typed antigen; use one of {}", ANTIGENS.join(", "))))?;
        if out.iter().any(|r| r.antigen == antigen) {
            return Err(FieldError::new(field, format!("{antigen} is given twice")));
        }
        out.push(AntigenResult { antigen, positive });
    }
    if out.is_empty() {
        return Err(FieldError::new(field, "name at least one antigen with its result, e.g. K-, E-"));
    }
    Ok(out)
}

/// A two-valued attribute: CMV and HbS are negative/positive, IgA normal/deficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Cmv,
    Hbs,
    Iga,
}

impl Attribute {
    pub const ALL: [Attribute; 3] = [Attribute::Cmv, Attribute::Hbs, Attribute::Iga];

    pub fn key(self) -> &'static str {
        match self {
            Attribute::Cmv => "cmv",
            Attribute::Hbs => "hbs",
            Attribute::Iga => "iga",
        }
    }

    pub fn values(self) -> [&'static str; 2] {
        match self {
            Attribute::Cmv | Attribute::Hbs => ["negative", "positive"],
            Attribute::Iga => ["normal", "deficient"],
        }
    }

    /// The value in its canonical spelling, or why not.
    pub fn parse_value(self, field: &'static str, s: &str) -> Result<&'static str, FieldError> {
        let v = s.trim().to_ascii_lowercase();
        self.values().into_iter().find(|x| *x == v).ok_or_else(|| {
            let [a, b] = self.values();
            FieldError::new(field, format!("'{}' is not a {} status; use {a} or {b}", s.trim(), self.key().to_uppercase()))
        })
    }
}

const HLA_LOCI: [&str; 11] = ["A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"];

/// A light check of an HLA typing written as alleles: `A*02:01, A*24:02; B*07:02`.
/// Each allele is a known locus, `*`, then 2–4 fields of digits separated by `:`
/// (the first may be a 2-digit serologic-level group), optionally an expression suffix.
pub fn check_hla(field: &'static str, s: &str) -> Result<String, FieldError> {
    let alleles: Vec<&str> = s.split([',', ';', ' ']).map(str::trim).filter(|t| !t.is_empty()).collect();
    if alleles.is_empty() {
        return Err(FieldError::new(field, "give the HLA alleles, e.g. A*02:01, A*24:02; B*07:02"));
    }
    for a in &alleles {
        let bad = || FieldError::new(field, format!("'{a}' is not an HLA allele; write locus*fields, e.g. A*02:01 or DRB1*15:01"));
        let (locus, rest) = a.split_once('*').ok_or_else(bad)?;
        if !HLA_LOCI.contains(&locus) {
            return Err(FieldError::new(field, format!("'{locus}' is not an HLA locus; use one of {}", HLA_LOCI.join(", "))));
        }
        let rest = rest.strip_suffix(['N', 'L', 'S', 'Q']).unwrap_or(rest);
        let fields: Vec<&str> = rest.split(':').collect();
        if fields.len() > 4 || fields.iter().any(|f| !(2..=4).contains(&f.len()) || !f.chars().all(|c| c.is_ascii_digit())) {
            return Err(bad());
        }
    }
    // Keep the person's grouping (by locus with ';'), only normalising spaces.
    Ok(s.split(';').map(|g| g.split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(", ")).collect::<Vec<_>>().join("; "))
}

/// Where a blood group result came from.
pub const GROUP_SOURCES: [&str; 3] = ["lab", "donor_card", "import"];

/// What the history of determinations says about the donor's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BloodGroupStatus {
    /// No determination on file.
    None,
    /// One determination agrees with the historical group.
    Unconfirmed,
    /// Two or more determinations agree with the historical group.
    Confirmed,
    /// A determination disagrees with the historical group; blocks release until quality resolves it.
    Discrepancy,
}

impl BloodGroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BloodGroupStatus::None => "none",
            BloodGroupStatus::Unconfirmed => "unconfirmed",
            BloodGroupStatus::Confirmed => "confirmed",
            BloodGroupStatus::Discrepancy => "discrepancy",
        }
    }
}

/// One entry of a donor's group history, in the order it was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupEvent {
    Determination(BloodGroup),
    /// Quality stated the correct group: it becomes the historical group and earlier
    /// disagreements are settled.
    Resolution(BloodGroup),
}

/// The historical group and the status. The historical group is the one on record, or
/// else the first determination; a resolution replaces it. A determination that
/// disagrees with it (and is not settled by a later resolution) is a discrepancy.
pub fn assess_blood_group(on_record: Option<BloodGroup>, events: &[GroupEvent]) -> (Option<BloodGroup>, BloodGroupStatus) {
    let mut historical = on_record.or_else(|| {
        events.iter().find_map(|e| match e {
            GroupEvent::Determination(g) => Some(*g),
            GroupEvent::Resolution(_) => None,
        })
    });
    let mut discrepancy = false;
    let mut any = false;
    for e in events {
        match e {
            GroupEvent::Resolution(g) => {
                historical = Some(*g);
                discrepancy = false;
            }
            GroupEvent::Determination(g) => {
                any = true;
                if historical != Some(*g) {
                    discrepancy = true;
                }
            }
        }
    }
    let concordant = events.iter().filter(|e| matches!(e, GroupEvent::Determination(g) if Some(*g) == historical)).count();
    let status = if !any {
        BloodGroupStatus::None
    } else if discrepancy {
        BloodGroupStatus::Discrepancy
    } else if concordant >= 2 {
        BloodGroupStatus::Confirmed
    } else {
        BloodGroupStatus::Unconfirmed
    };
    (historical, status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::donor::Abo;

    fn g(s: &str) -> BloodGroup {
        BloodGroup::parse(s).unwrap()
    }

    #[test]
    fn antigens_parse_with_their_results_and_unknown_names_are_refused() {
        let r = parse_antigens("antigens", "K-, E-,c+").unwrap();
        assert_eq!(
            r,
            vec![
                AntigenResult { antigen: "K", positive: false },
                AntigenResult { antigen: "E", positive: false },
                AntigenResult { antigen: "c", positive: true }
            ]
        );
        assert!(parse_antigens("antigens", "Kell-").is_err());
        assert!(parse_antigens("antigens", "K").is_err());
        assert!(parse_antigens("antigens", "K-,K+").is_err());
        assert!(parse_antigens("antigens", " ").is_err());
        assert_eq!(parse_antigens("antigens", "Fya+ Jkb-").unwrap().len(), 2);
    }

    #[test]
    fn attribute_values_are_canonical() {
        assert_eq!(Attribute::Cmv.parse_value("cmv", " Negative ").unwrap(), "negative");
        assert_eq!(Attribute::Iga.parse_value("iga", "deficient").unwrap(), "deficient");
        assert!(Attribute::Iga.parse_value("iga", "negative").is_err());
        assert!(Attribute::Hbs.parse_value("hbs", "trait").is_err());
    }

    #[test]
    fn hla_typing_has_a_light_format_check() {
        let s = check_hla("hla", "A*02:01, A*24:02; B*07:02, B*44:02; DRB1*15:01,DRB1*04:01").unwrap();
        assert_eq!(s, "A*02:01, A*24:02; B*07:02, B*44:02; DRB1*15:01, DRB1*04:01");
        assert!(check_hla("hla", "A*02").is_ok());
        assert!(check_hla("hla", "A*24:02:01:02L").is_ok());
        assert!(check_hla("hla", "A2").is_err());
        assert!(check_hla("hla", "X*02:01").is_err());
        assert!(check_hla("hla", "A*2:01").is_err());
        assert!(check_hla("hla", "").is_err());
    }

    #[test]
    fn first_determination_sets_the_group_and_a_second_confirms_it() {
        use GroupEvent::*;
        assert_eq!(assess_blood_group(None, &[]), (None, BloodGroupStatus::None));
        assert_eq!(assess_blood_group(None, &[Determination(g("O-"))]), (Some(g("O-")), BloodGroupStatus::Unconfirmed));
        assert_eq!(assess_blood_group(None, &[Determination(g("O-")), Determination(g("O-"))]).1, BloodGroupStatus::Confirmed);
        assert_eq!(assess_blood_group(Some(g("O-")), &[]).1, BloodGroupStatus::None);
    }

    #[test]
    fn a_disagreeing_determination_is_a_discrepancy_until_resolved() {
        use GroupEvent::*;
        let events = [Determination(g("A+")), Determination(g("A+")), Determination(g("O+"))];
        assert_eq!(assess_blood_group(None, &events), (Some(g("A+")), BloodGroupStatus::Discrepancy));
        // Disagreeing with the group on record (e.g. imported) counts too.
        assert_eq!(assess_blood_group(Some(g("B+")), &[Determination(g("A+"))]).1, BloodGroupStatus::Discrepancy);
        let mut resolved = events.to_vec();
        resolved.push(Resolution(g("O+")));
        let (group, status) = assess_blood_group(Some(g("A+")), &resolved);
        assert_eq!(group.unwrap().abo, Abo::O);
        assert_eq!(status, BloodGroupStatus::Unconfirmed, "one determination agrees with the resolved group");
        resolved.push(Determination(g("A+")));
        assert_eq!(assess_blood_group(Some(g("O+")), &resolved).1, BloodGroupStatus::Discrepancy, "a later disagreement flags again");
    }
}
