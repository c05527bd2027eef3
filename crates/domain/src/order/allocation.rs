//! Allocation: whether a unit may fill a line (`fit`) and the units proposed for an
//! order's lines (`propose`).

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationPolicy {
    /// O-negative red cells given as a substitute to a line of another group only while at
    /// least this many stay in stock for O-negative patients (girls and women of
    /// childbearing potential, emergencies).
    pub o_negative_reserve: i64,
    /// A unit expiring within this many hours is short-dated: proposed only with a
    /// warning, and shipped only when staff confirm the hospital accepts it.
    pub short_dated_hours: i64,
    /// The same for platelets (5-day shelf life).
    pub short_dated_hours_platelets: i64,
}

impl Default for AllocationPolicy {
    fn default() -> Self {
        Self { o_negative_reserve: 10, short_dated_hours: 72, short_dated_hours_platelets: 24 }
    }
}

/// What allocation knows of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub din: String,
    pub product_code: String,
    pub kind: ComponentKind,
    pub state: ComponentState,
    /// The group scanned at release.
    pub group: Option<BloodGroup>,
    pub attributes: BTreeSet<Attribute>,
    /// Special attributes from negative special tests, in words ("CMV-negative").
    pub special: Vec<String>,
    /// Antigens the donor is typed negative for.
    pub antigens_negative: Vec<String>,
    pub collected_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub open_holds: usize,
}

/// Why a unit may not fill a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Misfit {
    NotAvailable,
    OnHold,
    Expired,
    WrongProduct,
    NoGroup,
    Incompatible,
    GroupNotAsked,
    ONegativeReserve,
    Requirement(Requirement),
    TooOld,
}

/// How a unit fits a line that accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// The group asked for exactly (a substitute otherwise).
    pub identical: bool,
    /// Short-dated: why staff confirm before it is sent.
    pub warning: Option<String>,
}

fn compat_class(p: ProductClass) -> CompatibilityClass {
    match p {
        ProductClass::RedCells => CompatibilityClass::RedCells,
        ProductClass::WholeBlood => CompatibilityClass::WholeBlood,
        ProductClass::Platelets => CompatibilityClass::Platelets,
        ProductClass::Plasma => CompatibilityClass::Plasma,
        ProductClass::Cryo => CompatibilityClass::Cryo,
    }
}

fn is_o_negative(g: Option<BloodGroup>) -> bool {
    g.is_some_and(|g| g.abo == Abo::O && !g.rhd_positive)
}

fn has_special(c: &Candidate, words: &str) -> bool {
    c.special.iter().any(|s| s.eq_ignore_ascii_case(words))
}

/// Whether the unit may fill the line, now. `o_negative_spare`: how many O-negative red
/// cells may still go to other groups without breaking the reserve.
pub fn fit(line: &Line, c: &Candidate, now: DateTime<Utc>, policy: &AllocationPolicy, o_negative_spare: i64) -> Result<Fit, (Misfit, String)> {
    let unit = format!("{} {}", c.din, c.product_code);
    if c.state != ComponentState::Available {
        return Err((Misfit::NotAvailable, format!("unit {unit} is {}, not released stock", c.state.title().to_lowercase())));
    }
    if c.open_holds > 0 {
        return Err((Misfit::OnHold, format!("unit {unit} is on hold")));
    }
    if c.expires_at <= now {
        return Err((Misfit::Expired, format!("unit {unit} has expired")));
    }
    let product = ProductClass::of(c.kind);
    if product != line.product {
        return Err((
            Misfit::WrongProduct,
            format!("unit {unit} is {}; the line asks for {}", product.title().to_lowercase(), line.product.title().to_lowercase()),
        ));
    }
    let identical = match (line.group, c.group) {
        (None, _) => true,
        (Some(_), None) => return Err((Misfit::NoGroup, format!("unit {unit} has no ABO/RhD recorded at release"))),
        (Some(want), Some(have)) => {
            let same = match line.product {
                // RhD does not count for plasma and cryo.
                ProductClass::Plasma | ProductClass::Cryo => want.abo == have.abo,
                _ => want == have,
            };
            if !same {
                let verdict =
                    compatible(&CompatibilityCase { component: compat_class(line.product), donor: Group::of(have), recipient: Group::of(want) });
                if !verdict.compatible {
                    return Err((Misfit::Incompatible, format!("unit {unit} is {have}: {}", verdict.reason)));
                }
                if !line.substitution {
                    return Err((
                        Misfit::GroupNotAsked,
                        format!("unit {unit} is {have}; the line asks for {want} and does not accept compatible groups"),
                    ));
                }
                if line.product == ProductClass::RedCells && is_o_negative(Some(have)) && o_negative_spare <= 0 {
                    return Err((
                        Misfit::ONegativeReserve,
                        format!("unit {unit} is O- red cells, kept for O-negative patients (at least {} stay in stock)", policy.o_negative_reserve),
                    ));
                }
            }
            same
        }
    };
    for r in &line.requirements {
        let ok = match r {
            Requirement::Irradiated => c.attributes.contains(&Attribute::Irradiated),
            Requirement::Leukoreduced => c.attributes.contains(&Attribute::Leukoreduced),
            Requirement::Washed => c.attributes.contains(&Attribute::Washed),
            Requirement::CmvNegative => has_special(c, "CMV-negative"),
            Requirement::HbsNegative => has_special(c, "HbS-negative"),
            Requirement::AntigenNegative => line.antigens.iter().all(|a| c.antigens_negative.iter().any(|n| n == a)),
            // The laboratory selects these for the patient; checked by the person who picks.
            Requirement::HlaMatched => true,
        };
        if !ok {
            let what =
                if *r == Requirement::AntigenNegative { format!("typed negative for {}", line.antigens.join(", ")) } else { r.title().to_string() };
            return Err((Misfit::Requirement(*r), format!("unit {unit} is not {what}")));
        }
    }
    if let Some(days) = line.max_age_days {
        match c.collected_at {
            Some(at) if now - at <= Duration::days(days) => {}
            Some(at) => {
                return Err((Misfit::TooOld, format!("unit {unit} is {} days old; the line asks for at most {days}", (now - at).num_days())));
            }
            None => return Err((Misfit::TooOld, format!("unit {unit} has no collection date to check its age"))),
        }
    }
    let window = if c.kind == ComponentKind::Platelets { policy.short_dated_hours_platelets } else { policy.short_dated_hours };
    let left = c.expires_at - now;
    let warning = (left < Duration::hours(window))
        .then(|| format!("unit {unit} expires in {} hours: confirm the hospital accepts a short-dated unit before it is sent", left.num_hours()));
    Ok(Fit { identical, warning })
}

/// A unit proposed for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub unit: Uuid,
    pub warning: Option<String>,
}

/// What allocation proposes for one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProposal {
    pub picks: Vec<Pick>,
    /// Units still missing, and why, in words (a back-order).
    pub short: Option<(i64, String)>,
}

/// Proposes units for a line needing `needed` more units from `candidates`, skipping
/// those in `taken`. Group-identical units first (they keep compatible groups for the
/// patients who need them), each group first-expiring-first-out. `o_negative_in_stock`:
/// O-negative red cells available now, across the whole stock (lowered as they go).
pub fn propose(
    line: &Line,
    needed: i64,
    candidates: &[Candidate],
    taken: &BTreeSet<Uuid>,
    o_negative_in_stock: &mut i64,
    policy: &AllocationPolicy,
    now: DateTime<Utc>,
) -> LineProposal {
    if line.requirements.contains(&Requirement::HlaMatched) {
        // Never proposed automatically: the laboratory selects them for the patient.
        return LineProposal { picks: vec![], short: (needed > 0).then(|| (needed, hla_reason(needed))) };
    }
    let mut fits: Vec<(&Candidate, Fit)> = vec![];
    let mut misfits: BTreeMap<Misfit, (usize, String)> = BTreeMap::new();
    for c in candidates.iter().filter(|c| !taken.contains(&c.id)) {
        // The reserve is judged when a unit is taken, below; here any spare counts.
        match fit(line, c, now, policy, 1) {
            Ok(f) => fits.push((c, f)),
            Err((m, why)) => {
                let e = misfits.entry(m).or_insert((0, why));
                e.0 += 1;
            }
        }
    }
    fits.sort_by_key(|(c, f)| (!f.identical, c.expires_at, c.din.clone(), c.product_code.clone()));
    let mut picks = vec![];
    let mut reserve_refusals = 0;
    for (c, f) in fits {
        if picks.len() as i64 >= needed {
            break;
        }
        let o_neg_substitute = !f.identical && line.product == ProductClass::RedCells && is_o_negative(c.group);
        if o_neg_substitute && *o_negative_in_stock <= policy.o_negative_reserve {
            reserve_refusals += 1;
            continue;
        }
        if line.product == ProductClass::RedCells && is_o_negative(c.group) {
            *o_negative_in_stock -= 1;
        }
        picks.push(Pick { unit: c.id, warning: f.warning });
    }
    let missing = needed - picks.len() as i64;
    let short = (missing > 0).then(|| {
        let mut why: Vec<String> = vec![];
        if reserve_refusals > 0 {
            why.push(format!("{reserve_refusals} O- red cell unit(s) are kept for O-negative patients (reserve of {})", policy.o_negative_reserve));
        }
        for (m, (n, example)) in &misfits {
            if matches!(m, Misfit::WrongProduct | Misfit::NotAvailable | Misfit::Expired | Misfit::OnHold) {
                continue;
            }
            why.push(match m {
                Misfit::Incompatible => format!("{n} unit(s) of an incompatible group"),
                Misfit::GroupNotAsked => format!("{n} unit(s) of a compatible group, but the line accepts only {}", group_words(line)),
                Misfit::NoGroup => format!("{n} unit(s) without a released ABO/RhD"),
                Misfit::Requirement(r) => format!(
                    "{n} unit(s) not {}",
                    if *r == Requirement::AntigenNegative { format!("{}-negative", line.antigens.join(", ")) } else { r.title().to_string() }
                ),
                Misfit::TooOld => format!("{n} unit(s) older than {} days", line.max_age_days.unwrap_or_default()),
                Misfit::ONegativeReserve => format!("{n} O- unit(s) kept in reserve"),
                _ => example.clone(),
            });
        }
        let needs: String = line
            .requirements
            .iter()
            .map(|r| {
                format!(
                    " {}",
                    if *r == Requirement::AntigenNegative { format!("{}-negative", line.antigens.join(", ")) } else { r.title().to_string() }
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let head = format!(
            "{missing} of {} {} {}{} not in stock",
            needed,
            group_words(line),
            line.product.title().to_lowercase(),
            if needs.is_empty() { String::new() } else { format!(",{needs}") }
        );
        (missing, if why.is_empty() { head } else { format!("{head}: {}", why.join("; ")) })
    });
    LineProposal { picks, short }
}

fn hla_reason(n: i64) -> String {
    format!("{n} HLA-matched platelet unit(s) wait for the laboratory to select them for the patient")
}

fn group_words(line: &Line) -> String {
    line.group.map_or_else(|| "any group".to_string(), |g| g.to_string())
}
