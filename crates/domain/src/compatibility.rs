//! ABO/RhD compatibility of a component for a recipient, as rules: which donor groups a
//! recipient may receive, per component class. The tables are those of
//! `reference/domain-rules.md` §3.1 (standard transfusion-medicine rules; the Circular of
//! Information and AABB Standards). Exceptions that need a physician's decision (RhD-positive
//! red cells or platelets for an RhD-negative recipient in a shortage, low-titer group O
//! whole blood in trauma) are answered `compatible: false` with the exception named: the
//! system never makes that decision for the physician.

use crate::donor::Abo;
use serde::{Deserialize, Serialize};

/// The component classes compatibility distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompatibilityClass {
    RedCells,
    WholeBlood,
    /// FFP, PF24, Plasma, Thawed Plasma, liquid plasma.
    Plasma,
    Platelets,
    Cryo,
}

impl CompatibilityClass {
    pub const ALL: [Self; 5] = [Self::RedCells, Self::WholeBlood, Self::Plasma, Self::Platelets, Self::Cryo];

    pub fn title(self) -> &'static str {
        match self {
            Self::RedCells => "red cells",
            Self::WholeBlood => "whole blood",
            Self::Plasma => "plasma",
            Self::Platelets => "platelets",
            Self::Cryo => "cryoprecipitate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RhD {
    Pos,
    Neg,
}

/// A person's ABO/RhD as the case gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub abo: Abo,
    pub rhd: RhD,
}

impl Group {
    pub fn of(g: crate::BloodGroup) -> Self {
        Self { abo: g.abo, rhd: if g.rhd_positive { RhD::Pos } else { RhD::Neg } }
    }

    fn text(self) -> String {
        format!("{}{}", abo_text(self.abo), if self.rhd == RhD::Pos { "+" } else { "-" })
    }
}

/// The question of `hemaflow rules compatible`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatibilityCase {
    pub component: CompatibilityClass,
    pub donor: Group,
    pub recipient: Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compatibility {
    pub compatible: bool,
    /// Why, in words, with the rule that decided.
    pub reason: String,
}

fn abo_text(a: Abo) -> &'static str {
    match a {
        Abo::O => "O",
        Abo::A => "A",
        Abo::B => "B",
        Abo::AB => "AB",
    }
}

/// The A and B antigens on a group's red cells.
fn antigens(a: Abo) -> (bool, bool) {
    match a {
        Abo::O => (false, false),
        Abo::A => (true, false),
        Abo::B => (false, true),
        Abo::AB => (true, true),
    }
}

/// Whether red cells of `donor` meet no anti-A or anti-B in the plasma of `recipient`
/// (a person's plasma carries the antibodies to the antigens their cells lack).
fn cells_compatible(donor: Abo, recipient: Abo) -> bool {
    let (da, db) = antigens(donor);
    let (ra, rb) = antigens(recipient);
    (!da || ra) && (!db || rb)
}

/// Reads a case given as JSON; unknown keys or values are refused, naming the field.
pub fn case_from_json(text: &str) -> Result<CompatibilityCase, (String, String)> {
    crate::eligibility::json_at_path(text, "case")
}

/// Whether a component of the donor's group may be given to the recipient, and why.
pub fn compatible(case: &CompatibilityCase) -> Compatibility {
    let (d, r) = (case.donor, case.recipient);
    let yes = |reason: String| Compatibility { compatible: true, reason };
    let no = |reason: String| Compatibility { compatible: false, reason };
    let class = case.component.title();
    // RhD for products with red cells (and platelets, which carry a few).
    let rhd_refused = r.rhd == RhD::Neg && d.rhd == RhD::Pos;
    match case.component {
        CompatibilityClass::RedCells => {
            if !cells_compatible(d.abo, r.abo) {
                return no(format!(
                    "group {} red cells carry antigens the plasma of a group {} recipient attacks; a group {} recipient receives red cells of {}",
                    abo_text(d.abo),
                    abo_text(r.abo),
                    abo_text(r.abo),
                    red_cell_donors(r.abo)
                ));
            }
            if rhd_refused {
                return no(format!(
                    "an RhD-negative recipient receives RhD-negative red cells; {} red cells for a {} recipient only in a shortage with physician and medical director approval",
                    d.text(),
                    r.text()
                ));
            }
            yes(format!(
                "{} red cells are compatible with a {} recipient (ABO: the recipient's plasma does not attack them; RhD: {})",
                d.text(),
                r.text(),
                rhd_words(d, r)
            ))
        }
        CompatibilityClass::WholeBlood => {
            if d.abo != r.abo {
                return no(format!(
                    "whole blood must be ABO-identical: group {} for a group {} recipient (low-titer group O whole blood in trauma programs is a physician's decision)",
                    abo_text(d.abo),
                    abo_text(r.abo)
                ));
            }
            if rhd_refused {
                return no(format!("an RhD-negative recipient receives RhD-negative whole blood; {} is RhD-positive", d.text()));
            }
            yes(format!("{} whole blood is ABO-identical for a {} recipient (RhD: {})", d.text(), r.text(), rhd_words(d, r)))
        }
        CompatibilityClass::Plasma => {
            // The rules reverse: the donor's plasma must not attack the recipient's cells.
            if !cells_compatible(r.abo, d.abo) {
                return no(format!(
                    "group {} plasma carries antibodies to the red cells of a group {} recipient; a group {} recipient receives plasma of {} (RhD does not count for plasma)",
                    abo_text(d.abo),
                    abo_text(r.abo),
                    abo_text(r.abo),
                    plasma_donors(r.abo)
                ));
            }
            yes(format!(
                "group {} plasma is compatible with a group {} recipient (it carries no antibodies to the recipient's red cells; RhD does not count for plasma)",
                abo_text(d.abo),
                abo_text(r.abo)
            ))
        }
        CompatibilityClass::Platelets => {
            if rhd_refused {
                return no(format!(
                    "an RhD-negative recipient receives RhD-negative platelets; {} platelets only on a physician's decision, with Rh immune globulin within 72 h",
                    d.text()
                ));
            }
            let abo = if d.abo == r.abo {
                "ABO-identical, as preferred".to_string()
            } else if cells_compatible(r.abo, d.abo) {
                format!("group {} plasma is compatible with the recipient's red cells", abo_text(d.abo))
            } else {
                format!(
                    "ABO-incompatible plasma (group {} for a group {} recipient) is acceptable for adults; for infants and children choose ABO-compatible plasma or volume-reduce",
                    abo_text(d.abo),
                    abo_text(r.abo)
                )
            };
            yes(format!("{} platelets for a {} recipient: {abo} (RhD: {})", d.text(), r.text(), rhd_words(d, r)))
        }
        CompatibilityClass::Cryo => yes(format!(
            "all ABO groups are acceptable for {class} and RhD does not count (ABO-compatible is preferred for neonates or large volumes)"
        )),
    }
}

fn rhd_words(d: Group, r: Group) -> &'static str {
    match (d.rhd, r.rhd) {
        (RhD::Neg, RhD::Neg) => "negative for a negative recipient",
        (RhD::Neg, RhD::Pos) => "a positive recipient may receive negative",
        (RhD::Pos, RhD::Pos) => "positive for a positive recipient",
        (RhD::Pos, RhD::Neg) => "refused",
    }
}

fn red_cell_donors(r: Abo) -> &'static str {
    match r {
        Abo::O => "O only",
        Abo::A => "A or O",
        Abo::B => "B or O",
        Abo::AB => "any group",
    }
}

fn plasma_donors(r: Abo) -> &'static str {
    match r {
        Abo::O => "any group",
        Abo::A => "A or AB",
        Abo::B => "B or AB",
        Abo::AB => "AB only",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ABO: [Abo; 4] = [Abo::O, Abo::A, Abo::B, Abo::AB];

    fn g(abo: Abo, rhd: RhD) -> Group {
        Group { abo, rhd }
    }

    fn ok(component: CompatibilityClass, donor: Group, recipient: Group) -> bool {
        compatible(&CompatibilityCase { component, donor, recipient }).compatible
    }

    /// The tables of the reference (§3.1), written out as recipients and their donors.
    #[test]
    fn red_cells_and_plasma_follow_the_reference_tables() {
        let red = [(Abo::O, vec![Abo::O]), (Abo::A, vec![Abo::A, Abo::O]), (Abo::B, vec![Abo::B, Abo::O]), (Abo::AB, ABO.to_vec())];
        let plasma = [(Abo::O, ABO.to_vec()), (Abo::A, vec![Abo::A, Abo::AB]), (Abo::B, vec![Abo::B, Abo::AB]), (Abo::AB, vec![Abo::AB])];
        for (table, class) in [(red, CompatibilityClass::RedCells), (plasma, CompatibilityClass::Plasma)] {
            for (recipient, donors) in table {
                for donor in ABO {
                    let expected = donors.contains(&donor);
                    assert_eq!(ok(class, g(donor, RhD::Pos), g(recipient, RhD::Pos)), expected, "{class:?} {donor:?} -> {recipient:?}");
                }
            }
        }
    }

    #[test]
    fn rhd_counts_for_red_cells_whole_blood_and_platelets_only() {
        let (neg, pos) = (g(Abo::O, RhD::Neg), g(Abo::O, RhD::Pos));
        for class in [CompatibilityClass::RedCells, CompatibilityClass::WholeBlood, CompatibilityClass::Platelets] {
            assert!(!ok(class, pos, neg), "{class:?}: positive to a negative recipient");
            assert!(ok(class, neg, pos), "{class:?}: negative to a positive recipient");
        }
        for class in [CompatibilityClass::Plasma, CompatibilityClass::Cryo] {
            assert!(ok(class, pos, neg), "{class:?}: RhD does not count");
        }
        let r = compatible(&CompatibilityCase { component: CompatibilityClass::Platelets, donor: pos, recipient: neg });
        assert!(r.reason.contains("72 h"), "{}", r.reason);
    }

    #[test]
    fn whole_blood_is_abo_identical_and_platelets_and_cryo_take_any_abo() {
        for d in ABO {
            for r in ABO {
                assert_eq!(ok(CompatibilityClass::WholeBlood, g(d, RhD::Pos), g(r, RhD::Pos)), d == r);
                assert!(ok(CompatibilityClass::Platelets, g(d, RhD::Pos), g(r, RhD::Pos)));
                assert!(ok(CompatibilityClass::Cryo, g(d, RhD::Neg), g(r, RhD::Pos)));
            }
        }
        let r =
            compatible(&CompatibilityCase { component: CompatibilityClass::Platelets, donor: g(Abo::O, RhD::Pos), recipient: g(Abo::A, RhD::Pos) });
        assert!(r.reason.contains("infants"), "minor incompatibility named: {}", r.reason);
    }

    #[test]
    fn cases_read_from_json_and_refuse_unknowns() {
        let c =
            case_from_json(r#"{"component": "red_cells", "donor": {"abo": "O", "rhd": "neg"}, "recipient": {"abo": "AB", "rhd": "pos"}}"#).unwrap();
        assert!(compatible(&c).compatible);
        let (field, _) =
            case_from_json(r#"{"component": "red_cells", "donor": {"abo": "C", "rhd": "neg"}, "recipient": {"abo": "AB", "rhd": "pos"}}"#)
                .unwrap_err();
        assert_eq!(field, "donor.abo");
        let (field, _) =
            case_from_json(r#"{"component": "granulocytes", "donor": {"abo": "O", "rhd": "neg"}, "recipient": {"abo": "AB", "rhd": "pos"}}"#)
                .unwrap_err();
        assert_eq!(field, "component");
        let (field, _) =
            case_from_json(r#"{"component": "cryo", "donor": {"abo": "O", "rhd": "neg", "x": 1}, "recipient": {"abo": "AB", "rhd": "pos"}}"#)
                .unwrap_err();
        assert_eq!(field, "donor.x");
        assert!(case_from_json(r#"{"component": "cryo", "donor": {"abo": "O", "rhd": "neg"}}"#).is_err(), "recipient missing");
    }

    proptest! {
        /// O-negative red cells go to everyone; AB plasma goes to everyone; a group is
        /// always compatible with itself; red cell and plasma compatibility mirror each other.
        #[test]
        fn universal_donors_and_mirror(d in 0usize..4, r in 0usize..4, dn in any::<bool>(), rn in any::<bool>()) {
            let rh = |p: bool| if p { RhD::Pos } else { RhD::Neg };
            let (dg, rg) = (g(ABO[d], rh(dn)), g(ABO[r], rh(rn)));
            prop_assert!(ok(CompatibilityClass::RedCells, g(Abo::O, RhD::Neg), rg));
            prop_assert!(ok(CompatibilityClass::Plasma, g(Abo::AB, RhD::Pos), rg));
            for class in CompatibilityClass::ALL {
                prop_assert!(ok(class, rg, rg), "{:?} identical", class);
            }
            prop_assert_eq!(
                ok(CompatibilityClass::RedCells, g(ABO[d], RhD::Pos), g(ABO[r], RhD::Pos)),
                ok(CompatibilityClass::Plasma, g(ABO[r], RhD::Pos), g(ABO[d], RhD::Pos))
            );
            let reason = compatible(&CompatibilityCase { component: CompatibilityClass::RedCells, donor: dg, recipient: rg }).reason;
            prop_assert!(!reason.is_empty());
        }
    }
}
