//! The replacement fluid plan of a plasma exchange: what replaces the plasma removed.
//!
//! `shared/reference/domain-rules.md` (section 6): 5 % albumin, with or without saline,
//! for most indications; plasma (FFP or cryo-poor plasma) for TTP, because it replaces
//! the missing ADAMTS13. How much saline goes with the albumin is the physician's
//! choice: the reference gives no split, so the plan takes the share as given (none
//! unless said) and refuses more than half.

use serde::Serialize;

/// The largest share of saline in an albumin replacement the plan accepts.
pub const MAX_SALINE_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "fluid")]
pub enum Replacement {
    /// 5 % albumin, with this share (0 to 0.5) of the volume as 0.9 % saline.
    Albumin { saline_share: f64 },
    /// Plasma units, for TTP.
    Plasma,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FluidPlan {
    pub albumin_5_percent_ml: f64,
    pub saline_ml: f64,
    pub plasma_ml: f64,
    /// Plasma units of the given volume to have ready (rounded up).
    pub plasma_units: i64,
    /// Why this fluid, in words.
    pub basis: String,
}

/// Whether the indication is thrombotic thrombocytopenic purpura, as written on requests.
pub fn is_ttp(indication: &str) -> bool {
    let t = indication.to_ascii_lowercase();
    t.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "ttp") || t.contains("thrombotic thrombocytopenic purpura")
}

/// The replacement the reference gives for an indication: plasma for TTP, albumin
/// otherwise.
pub fn default_replacement(indication: &str) -> Replacement {
    if is_ttp(indication) {
        Replacement::Plasma
    } else {
        Replacement::Albumin { saline_share: 0.0 }
    }
}

/// The volumes of one exchange (mL, whole) and, for plasma, the units to prepare.
pub fn fluid_plan(exchange_ml: f64, replacement: Replacement, plasma_unit_ml: f64) -> Result<FluidPlan, String> {
    if !exchange_ml.is_finite() || exchange_ml <= 0.0 {
        return Err(format!("{exchange_ml} mL is not an exchange volume"));
    }
    match replacement {
        Replacement::Albumin { saline_share } => {
            if !saline_share.is_finite() || !(0.0..=MAX_SALINE_SHARE).contains(&saline_share) {
                return Err(format!("a saline share of {saline_share} is not between 0 and {MAX_SALINE_SHARE}"));
            }
            let saline = (exchange_ml * saline_share).round();
            Ok(FluidPlan {
                albumin_5_percent_ml: exchange_ml.round() - saline,
                saline_ml: saline,
                plasma_ml: 0.0,
                plasma_units: 0,
                basis: if saline_share > 0.0 {
                    format!("5 % albumin with {:.0} % saline, as the physician chose", saline_share * 100.0)
                } else {
                    "5 % albumin, the usual replacement".into()
                },
            })
        }
        Replacement::Plasma => {
            if !plasma_unit_ml.is_finite() || !(50.0..=1000.0).contains(&plasma_unit_ml) {
                return Err(format!("{plasma_unit_ml} mL is not the volume of a plasma unit"));
            }
            Ok(FluidPlan {
                albumin_5_percent_ml: 0.0,
                saline_ml: 0.0,
                plasma_ml: exchange_ml.round(),
                plasma_units: (exchange_ml / plasma_unit_ml).ceil() as i64,
                basis: "plasma, which replaces ADAMTS13 in TTP".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttp_gets_plasma_and_the_units_round_up() {
        assert!(is_ttp("Thrombotic thrombocytopenic purpura"));
        assert!(is_ttp("acquired TTP, relapse"));
        assert!(!is_ttp("Guillain-Barré syndrome"));
        assert!(!is_ttp("bttpx"));
        // The woman of the worked example: 2,261 mL at 1.0 plasma volume.
        let p = fluid_plan(2261.0, default_replacement("TTP"), 250.0).unwrap();
        assert_eq!(p.plasma_ml, 2261.0);
        assert_eq!(p.plasma_units, 10);
        assert_eq!(p.albumin_5_percent_ml, 0.0);
    }

    #[test]
    fn albumin_with_a_share_of_saline_adds_up_to_the_exchange() {
        let p = fluid_plan(4388.0, Replacement::Albumin { saline_share: 0.25 }, 250.0).unwrap();
        assert_eq!(p.saline_ml, 1097.0);
        assert_eq!(p.albumin_5_percent_ml + p.saline_ml, 4388.0);
        assert_eq!(default_replacement("myasthenia gravis crisis"), Replacement::Albumin { saline_share: 0.0 });
    }

    #[test]
    fn impossible_plans_are_refused() {
        assert!(fluid_plan(0.0, Replacement::Plasma, 250.0).is_err());
        assert!(fluid_plan(3000.0, Replacement::Albumin { saline_share: 0.8 }, 250.0).is_err());
        assert!(fluid_plan(3000.0, Replacement::Plasma, 5.0).is_err());
    }
}
