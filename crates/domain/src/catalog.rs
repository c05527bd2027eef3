//! hemaflow's product catalog: for each ISBT 128 product description code (PDC), the
//! component class, how it is stored and how its expiry is computed.
//!
//! ICCBBA's product database is licensed, so the defaults hold only codes whose
//! descriptions are public (reference/isbt128.md §3); a centre loads its own catalog
//! from CSV. Dating periods are from 21 CFR 610.53(c) (reference/domain-rules.md §2.1).

use chrono::{Days, Months, NaiveDateTime, NaiveTime};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentClass {
    WholeBlood,
    RedCells,
    Platelets,
    Plasma,
    Cryoprecipitate,
    Granulocytes,
    CellularTherapy,
    Tissue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageClass {
    /// 1–6 °C
    Refrigerated,
    /// 20–24 °C with agitation
    RoomTemperature,
    /// ≤ −18 °C
    Frozen,
    /// ≤ −65 °C
    DeepFrozen,
    /// ≤ −120 °C (vapour-phase liquid nitrogen)
    Cryogenic,
}

/// How long a component keeps from collection. Day 0 is the collection day; a unit
/// dated in days or years expires at 23:59 local time of its last day, one dated in
/// hours expires that many hours after collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum DatingRule {
    Hours(u32),
    Days(u32),
    Years(u32),
}

impl DatingRule {
    /// The expiry in the facility's local time, from the local collection time.
    pub fn expiry(self, collected: NaiveDateTime) -> Option<NaiveDateTime> {
        let end_of_day = |d: chrono::NaiveDate| d.and_time(NaiveTime::from_hms_opt(23, 59, 0).expect("valid"));
        match self {
            DatingRule::Hours(h) => collected.checked_add_signed(chrono::Duration::hours(h.into())),
            DatingRule::Days(d) => collected.date().checked_add_days(Days::new(d.into())).map(end_of_day),
            DatingRule::Years(y) => collected.date().checked_add_months(Months::new(12 * y)).map(end_of_day),
        }
    }

    /// Parses `24h`, `42d` or `1y`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| format!("'{s}' is not a dating period (write e.g. 24h, 42d or 1y)"))?;
        match (unit, n) {
            (_, 0) => Err(format!("'{s}': a dating period must be longer than zero")),
            ("h", n) => Ok(DatingRule::Hours(n)),
            ("d", n) => Ok(DatingRule::Days(n)),
            ("y", n) => Ok(DatingRule::Years(n)),
            _ => Err(format!("'{s}' is not a dating period (write e.g. 24h, 42d or 1y)")),
        }
    }
}

impl fmt::Display for DatingRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatingRule::Hours(n) => write!(f, "{n}h"),
            DatingRule::Days(n) => write!(f, "{n}d"),
            DatingRule::Years(n) => write!(f, "{n}y"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogEntry {
    /// The five-character PDC, e.g. `E0398`.
    pub code: String,
    pub description: String,
    pub class: ComponentClass,
    pub storage: StorageClass,
    /// `None` where the expiry is set per unit (cellular therapy, tissue).
    pub dating: Option<DatingRule>,
    /// The product this code is, for manufacture (`None`: not chosen for components).
    pub spec: Option<ProductSpec>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductCatalog {
    entries: BTreeMap<String, CatalogEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("product catalog line {line}: {message}")]
pub struct CatalogError {
    pub line: usize,
    pub message: String,
}

fn parse_class(s: &str) -> Result<ComponentClass, String> {
    use ComponentClass::*;
    Ok(match s.trim() {
        "whole_blood" => WholeBlood,
        "red_cells" => RedCells,
        "platelets" => Platelets,
        "plasma" => Plasma,
        "cryoprecipitate" => Cryoprecipitate,
        "granulocytes" => Granulocytes,
        "cellular_therapy" => CellularTherapy,
        "tissue" => Tissue,
        other => {
            return Err(format!(
            "'{other}' is not a component class (whole_blood, red_cells, platelets, plasma, cryoprecipitate, granulocytes, cellular_therapy, tissue)"
        ))
        }
    })
}

fn parse_storage(s: &str) -> Result<StorageClass, String> {
    use StorageClass::*;
    Ok(match s.trim() {
        "refrigerated" => Refrigerated,
        "room_temperature" => RoomTemperature,
        "frozen" => Frozen,
        "deep_frozen" => DeepFrozen,
        "cryogenic" => Cryogenic,
        other => return Err(format!("'{other}' is not a storage class (refrigerated, room_temperature, frozen, deep_frozen, cryogenic)")),
    })
}

impl ProductCatalog {
    /// The codes whose descriptions ICCBBA allows to be public, with their US dating.
    pub fn defaults() -> Self {
        use ComponentClass::*;
        use StorageClass::*;
        let rows = [
            // Irradiated red cells: 28 days (from irradiation, or the original dating if shorter).
            ("E0398", "RED BLOOD CELLS|CPD>AS5/450mL/refg|Irradiated|ResLeu", RedCells, Refrigerated, Some(DatingRule::Days(28))),
            ("E4377", "Apheresis RED BLOOD CELLS|ACD-A/XX/refg|Irradiated|1st container", RedCells, Refrigerated, Some(DatingRule::Days(28))),
            ("E7003", "Apheresis PLATELETS|ACD-A>PAS-C/XX/20-24C|ResLeu:<5E6|2nd container", Platelets, RoomTemperature, Some(DatingRule::Days(5))),
            ("S1128", "HPC, APHERESIS/Citrate/XX/refg/Mobilized", CellularTherapy, Refrigerated, None),
            ("S1194", "HPC, APHERESIS|NS/XX/<=-120C|10% DMSO|Cryopreserved|Mobilized", CellularTherapy, Cryogenic, None),
            ("T1396", "BONE, FEMUR|Frozen|Right|Radiation sterilization", Tissue, Frozen, None),
        ];
        let mut c = Self::default();
        for (code, description, class, storage, dating) in rows {
            c.entries.insert(code.into(), CatalogEntry { code: code.into(), description: description.into(), class, storage, dating, spec: None });
        }
        // What the public codes are, where their descriptions say it whole.
        use crate::component::{Attribute, ComponentKind};
        let spec = |kind, attributes: &[Attribute], anticoagulant: &str, additive: Option<&str>| ProductSpec {
            kind,
            attributes: attributes.iter().copied().collect(),
            anticoagulant: anticoagulant.into(),
            additive: additive.map(str::to_string),
        };
        // (E4377 names a "1st container": a division our specs do not carry, so it is not chosen.)
        for (code, s) in [("E0398", spec(ComponentKind::RedCells, &[Attribute::Leukoreduced, Attribute::Irradiated], "CPD", Some("AS-5")))] {
            if let Some(e) = c.entries.get_mut(code) {
                e.spec = Some(s);
            }
        }
        c
    }

    /// Reads a catalog a centre maintains: a header row with `code`, `class`,
    /// `storage`, `dating` and optionally `description`; one row per PDC.
    pub fn from_csv(text: &str) -> Result<Self, CatalogError> {
        let err = |line: usize, message: String| CatalogError { line, message };
        let mut rd = csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_reader(text.as_bytes());
        let headers = rd.headers().map_err(|e| err(1, e.to_string()))?.clone();
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(ci), Some(cl), Some(st), Some(dt)) = (col("code"), col("class"), col("storage"), col("dating")) else {
            return Err(err(1, "the header must name the columns code, class, storage and dating".into()));
        };
        let desc = col("description");
        let mut c = Self::default();
        for (i, rec) in rd.records().enumerate() {
            let line = rec.as_ref().ok().and_then(|r| r.position()).map(|p| p.line() as usize).unwrap_or(i + 2);
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let get = |k: usize| rec.get(k).unwrap_or("");
            let code = get(ci).to_string();
            isbt128::Pdc::parse(&code).map_err(|e| err(line, format!("'{code}': {e}")))?;
            let dating = match get(dt) {
                "" | "per_unit" => None,
                d => Some(DatingRule::parse(d).map_err(|m| err(line, m))?),
            };
            let entry = CatalogEntry {
                description: desc.map(|k| get(k).to_string()).unwrap_or_default(),
                class: parse_class(get(cl)).map_err(|m| err(line, m))?,
                storage: parse_storage(get(st)).map_err(|m| err(line, m))?,
                dating,
                code: code.clone(),
                spec: None,
            };
            if c.entries.insert(code.clone(), entry).is_some() {
                return Err(err(line, format!("'{code}' appears twice")));
            }
        }
        Ok(c)
    }

    /// The centre's own entries replace the defaults with the same code.
    pub fn merge(mut self, other: ProductCatalog) -> Self {
        self.entries.extend(other.entries);
        self
    }

    pub fn get(&self, pdc: &str) -> Option<&CatalogEntry> {
        self.entries.get(pdc)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn dating_counts_from_the_collection_day() {
        let collected = at(2026, 11, 25, 10, 30);
        assert_eq!(DatingRule::Days(42).expiry(collected), Some(at(2027, 1, 6, 23, 59)));
        assert_eq!(DatingRule::Days(5).expiry(collected), Some(at(2026, 11, 30, 23, 59)));
        assert_eq!(DatingRule::Hours(24).expiry(collected), Some(at(2026, 11, 26, 10, 30)));
        assert_eq!(DatingRule::Years(1).expiry(collected), Some(at(2027, 11, 25, 23, 59)));
        // 29 February plus a year lands on 28 February.
        assert_eq!(DatingRule::Years(1).expiry(at(2028, 2, 29, 8, 0)), Some(at(2029, 2, 28, 23, 59)));
    }

    #[test]
    fn dating_periods_parse_strictly() {
        assert_eq!(DatingRule::parse("42d"), Ok(DatingRule::Days(42)));
        assert_eq!(DatingRule::parse("1y").unwrap().to_string(), "1y");
        for bad in ["", "42", "d", "0d", "42w", "-1d"] {
            assert!(DatingRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_hold_only_public_codes() {
        let c = ProductCatalog::defaults();
        let e = c.get("E0398").unwrap();
        assert_eq!((e.class, e.storage, e.dating), (ComponentClass::RedCells, StorageClass::Refrigerated, Some(DatingRule::Days(28))));
        assert_eq!(c.get("E7003").unwrap().dating, Some(DatingRule::Days(5)));
        assert!(c.get("E0150").is_none(), "unpublished codes come from the centre's own file");
    }

    #[test]
    fn centre_catalog_loads_and_refuses_bad_rows_with_their_line() {
        let csv = "code,description,class,storage,dating\n# local codes\nE0150,RED BLOOD CELLS|CPD/450mL/refg,red_cells,refrigerated,21d\nE0701,FRESH FROZEN PLASMA,plasma,frozen,1y\n";
        let c = ProductCatalog::defaults().merge(ProductCatalog::from_csv(csv).unwrap());
        assert_eq!(c.get("E0150").unwrap().dating, Some(DatingRule::Days(21)));
        assert_eq!(c.get("E0701").unwrap().storage, StorageClass::Frozen);
        assert!(c.get("E0398").is_some());

        let bad_class = "code,class,storage,dating\nE0150,blood,refrigerated,21d\n";
        let e = ProductCatalog::from_csv(bad_class).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("component class"));
        assert!(ProductCatalog::from_csv("code,class,storage,dating\ne0150,red_cells,refrigerated,21d\n").is_err());
        assert!(ProductCatalog::from_csv("code,class,storage,dating\nE0150,red_cells,refrigerated,21d\nE0150,red_cells,refrigerated,21d\n")
            .unwrap_err()
            .message
            .contains("twice"));
        assert!(ProductCatalog::from_csv("pdc,kind\n").is_err());
    }
}

/// What a component is, for choosing its product code: the product, its attributes and
/// the solutions it is kept in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ProductSpec {
    pub kind: crate::component::ComponentKind,
    pub attributes: std::collections::BTreeSet<crate::component::Attribute>,
    /// CPD, CP2D, CPDA-1 or ACD-A.
    pub anticoagulant: String,
    /// AS-1, AS-3 or AS-5 (red cells).
    pub additive: Option<String>,
}

const STARTER_ANTICOAGULANTS: [&str; 5] = ["", "CPD", "CP2D", "CPDA-1", "ACD-A"];
const STARTER_ADDITIVES: [&str; 4] = ["", "AS-1", "AS-3", "AS-5"];
const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// hemaflow's **starter local codes** (ISBT 128 `D` codes are facility-defined): until a
/// centre loads its licensed ICCBBA codes with the product each one is, a component's
/// code is `D` + the product (1 character) + the solutions (1) + the attributes (2, a
/// bit set in base 36). They are unique, reversible and never clash with ICCBBA codes.
impl ProductSpec {
    pub fn starter_code(&self) -> Option<String> {
        use crate::component::{Attribute, ComponentKind};
        let k = ComponentKind::ALL.iter().position(|x| *x == self.kind)?;
        let a = STARTER_ANTICOAGULANTS.iter().position(|x| *x == self.anticoagulant)?;
        let s = STARTER_ADDITIVES.iter().position(|x| Some(*x) == self.additive.as_deref().or(Some("")))?;
        let mask: usize = Attribute::ALL.iter().enumerate().filter(|(_, x)| self.attributes.contains(x)).map(|(i, _)| 1 << i).sum();
        let c = |n: usize| BASE36[n] as char;
        Some(format!("D{}{}{}{}", c(k), c(a * 4 + s), c(mask / 36), c(mask % 36)))
    }

    /// Reads a starter local code back.
    pub fn from_starter_code(pdc: &str) -> Option<Self> {
        use crate::component::{Attribute, ComponentKind};
        let b = pdc.as_bytes();
        if b.len() != 5 || b[0] != b'D' {
            return None;
        }
        let n = |c: u8| BASE36.iter().position(|x| *x == c);
        let kind = *ComponentKind::ALL.get(n(b[1])?)?;
        let sol = n(b[2])?;
        let (a, s) = (sol / 4, sol % 4);
        let mask = n(b[3])? * 36 + n(b[4])?;
        if a >= STARTER_ANTICOAGULANTS.len() || mask >= 1 << Attribute::ALL.len() {
            return None;
        }
        let attributes = Attribute::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, x)| *x).collect();
        Some(Self {
            kind,
            attributes,
            anticoagulant: STARTER_ANTICOAGULANTS[a].to_string(),
            additive: Some(STARTER_ADDITIVES[s]).filter(|x| !x.is_empty()).map(str::to_string),
        })
    }

    /// The product described as on a label: `RED BLOOD CELLS|CPD>AS-1|Leukocytes Reduced|Irradiated`.
    pub fn description(&self) -> String {
        let mut parts = vec![self.kind.title().to_uppercase()];
        let solution = match &self.additive {
            Some(a) => format!("{}>{a}", self.anticoagulant),
            None => self.anticoagulant.clone(),
        };
        if !solution.is_empty() {
            parts.push(solution);
        }
        parts.extend(self.attributes.iter().map(|a| a.title().to_string()));
        parts.join("|")
    }
}

impl ProductCatalog {
    /// The product code for a component: the centre's own entry for this product (a
    /// catalog row naming `kind`, `attributes` and `solution`), else the starter local
    /// code. Returns the PDC and its description.
    pub fn code_for(&self, spec: &ProductSpec) -> Option<(String, String)> {
        if let Some(e) = self.entries.values().find(|e| e.spec.as_ref() == Some(spec)) {
            return Some((e.code.clone(), e.description.clone()));
        }
        spec.starter_code().map(|c| (c, format!("{} (starter local code)", spec.description())))
    }
}

#[cfg(test)]
mod starter_tests {
    use super::*;
    use crate::component::{Attribute, ComponentKind};

    #[test]
    fn starter_codes_are_valid_unique_and_read_back() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in ComponentKind::ALL {
            for ac in STARTER_ANTICOAGULANTS {
                for add in [None, Some("AS-1"), Some("AS-5")] {
                    for mask in 0..(1usize << Attribute::ALL.len()) {
                        let attributes = Attribute::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, x)| *x).collect();
                        let spec = ProductSpec { kind, attributes, anticoagulant: ac.into(), additive: add.map(str::to_string) };
                        let code = spec.starter_code().unwrap();
                        assert!(isbt128::Pdc::parse(&code).is_ok(), "{code}");
                        assert!(isbt128::ProductCode::from_parts(&code, "V00").is_ok(), "{code}");
                        assert!(seen.insert(code.clone()), "{code} twice");
                        assert_eq!(ProductSpec::from_starter_code(&code).as_ref(), Some(&spec), "{code}");
                    }
                }
            }
        }
        assert!(ProductSpec::from_starter_code("E0398").is_none());
    }

    #[test]
    fn the_centres_own_code_wins_over_the_starter_code() {
        let spec = ProductSpec {
            kind: ComponentKind::RedCells,
            attributes: [Attribute::Leukoreduced, Attribute::Irradiated].into(),
            anticoagulant: "CPD".into(),
            additive: Some("AS-5".into()),
        };
        let c = ProductCatalog::defaults();
        assert_eq!(c.code_for(&spec).unwrap().0, "E0398", "the public code for irradiated, leukocyte-reduced CPD>AS-5 red cells");
        let as1 = ProductSpec { additive: Some("AS-1".into()), ..spec };
        let (code, description) = c.code_for(&as1).unwrap();
        assert!(code.starts_with('D') && description.contains("CPD>AS-1|Leukocytes Reduced|Irradiated"), "{code} {description}");
    }
}
