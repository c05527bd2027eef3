//! Random histories of a blood centre's events, for the property that no unit failing a
//! release condition is ever available. Collections, test results (in any order, some
//! refused), typings that disagree, deferrals that reach back, discrepancies, holds, QC
//! failures, time passing past expiry, modifications, releases with right and wrong label
//! scans and emergency releases are applied the way the app applies them: release asks
//! [`gate`], and after every event each available unit is asked [`must_leave_stock`] again.
//! An independent oracle, written from the conditions and not from the gate, then checks
//! every available unit. Used by the domain's tests and by `hemaflow bench release`.

use super::{gate, must_leave_stock, DeferralSpan, GateFacts, GroupFacts, Hold, LabelScan, QcCheck, Release, RequiredTest};
use crate::component::{ComponentKind, ComponentState};
use crate::donor::{Abo, DonationProcedure};
use crate::testing::{next, orders_for, OrderContext, Phase, Reading, Status, TestingBook};
use crate::BloodGroup;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Donor {
    history: Option<BloodGroup>,
    discrepancy: bool,
    deferrals: Vec<DeferralSpan>,
}

struct Donation {
    donor: usize,
    collected_on: NaiveDate,
    eligible: bool,
    tests: Vec<RequiredTest>,
    typing: Option<BloodGroup>,
}

struct Unit {
    donation: usize,
    din: String,
    code: String,
    kind: ComponentKind,
    state: ComponentState,
    expires_at: DateTime<Utc>,
    holds: Vec<Hold>,
    qc_failed: bool,
    emergency: bool,
}

/// What one history did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub events: u64,
    pub releases: u64,
    pub refused_releases: u64,
    pub emergency_releases: u64,
    /// Available units taken out of stock by a later event.
    pub removals: u64,
    pub refused_results: u64,
}

impl std::ops::AddAssign for Outcome {
    fn add_assign(&mut self, o: Self) {
        self.events += o.events;
        self.releases += o.releases;
        self.refused_releases += o.refused_releases;
        self.emergency_releases += o.emergency_releases;
        self.removals += o.removals;
        self.refused_results += o.refused_results;
    }
}

struct World {
    now: DateTime<Utc>,
    book: TestingBook,
    donors: Vec<Donor>,
    donations: Vec<Donation>,
    units: Vec<Unit>,
}

fn group(rng: &mut ChaCha8Rng) -> BloodGroup {
    let abo = [Abo::O, Abo::A, Abo::B, Abo::AB][rng.gen_range(0..4)];
    BloodGroup::new(abo, rng.gen_bool(0.85))
}

impl World {
    fn facts(&self, u: &Unit, label: LabelScan) -> GateFacts {
        let d = &self.donations[u.donation];
        let donor = &self.donors[d.donor];
        GateFacts {
            now: self.now,
            din: u.din.clone(),
            product_code: u.code.clone(),
            kind: u.kind,
            state: u.state,
            expires_at: u.expires_at,
            collected_on: d.collected_on,
            eligible_at_collection: d.eligible,
            deferrals: donor.deferrals.clone(),
            tests: d.tests.clone(),
            group: GroupFacts { donation: d.typing, history: donor.history, open_discrepancy: donor.discrepancy },
            processing_fault: None,
            qc: if u.qc_failed { vec![QcCheck { name: "platelet pH".into(), passed: false }] } else { vec![] },
            holds: u.holds.clone(),
            label,
        }
    }

    /// What the app does after every event: each available unit is asked again.
    fn regate(&mut self, out: &mut Outcome) {
        for i in 0..self.units.len() {
            if self.units[i].state != ComponentState::Available {
                continue;
            }
            let how = if self.units[i].emergency { Release::Emergency } else { Release::Standard };
            if !must_leave_stock(&self.facts(&self.units[i], LabelScan::NotScanned), how).is_empty() {
                self.units[i].state = ComponentState::Quarantine;
                out.removals += 1;
            }
        }
    }

    fn collect(&mut self, rng: &mut ChaCha8Rng) {
        if self.donors.is_empty() || rng.gen_bool(0.2) {
            let history = if rng.gen_bool(0.8) { Some(group(rng)) } else { None };
            self.donors.push(Donor { history, discrepancy: false, deferrals: vec![] });
        }
        let donor = rng.gen_range(0..self.donors.len());
        let procedure = if rng.gen_bool(0.7) { DonationProcedure::WholeBlood } else { DonationProcedure::Platelets };
        let day = self.now.date_naive();
        let ctx = OrderContext { procedure, collected_on: day, region: Some(if rng.gen_bool(0.5) { "NY" } else { "TX" }.into()), history: vec![] };
        let (_, orders) = orders_for(&self.book, &ctx).expect("the shipped rules are in force");
        let rules = self.book.in_force(day).expect("in force");
        let tests = orders
            .iter()
            .filter_map(|o| rules.test(&o.code))
            .map(|t| RequiredTest { code: t.code.clone(), title: t.title.clone(), status: Status::Pending, blocks: t.blocks() })
            .collect();
        let n = self.donations.len();
        self.donations.push(Donation { donor, collected_on: day, eligible: rng.gen_bool(0.95), tests, typing: None });
        let din = format!("A99992600{n:04}");
        let kinds: &[(ComponentKind, i64)] = match procedure {
            DonationProcedure::Platelets => &[(ComponentKind::Platelets, 5), (ComponentKind::Plasma, 365)],
            _ => &[(ComponentKind::RedCells, 42), (ComponentKind::Ffp, 365)],
        };
        for (i, (kind, days)) in kinds.iter().enumerate() {
            self.units.push(Unit {
                donation: n,
                din: din.clone(),
                code: format!("E000{i}V00"),
                kind: *kind,
                state: ComponentState::InProcessing,
                expires_at: self.now + Duration::days(*days),
                holds: vec![],
                qc_failed: false,
                emergency: false,
            });
        }
    }

    fn result(&mut self, rng: &mut ChaCha8Rng, out: &mut Outcome) {
        if self.donations.is_empty() {
            return;
        }
        // Mostly a donation still waiting for results.
        let open: Vec<usize> = (0..self.donations.len()).filter(|d| self.donations[*d].tests.iter().any(|t| !t.status.is_final())).collect();
        let d = if !open.is_empty() && rng.gen_bool(0.8) { open[rng.gen_range(0..open.len())] } else { rng.gen_range(0..self.donations.len()) };
        if self.donations[d].typing.is_none() || rng.gen_bool(0.1) {
            // The ABO/RhD typing: mostly agreeing with the history.
            let donor = &self.donors[self.donations[d].donor];
            self.donations[d].typing = Some(match donor.history {
                Some(h) if rng.gen_bool(0.85) => h,
                _ => group(rng),
            });
            if let Some(t) = self.donations[d].tests.iter_mut().find(|t| t.code == "ABO_RH") {
                t.status = Status::Nonreactive;
            }
            return;
        }
        let n = self.donations[d].tests.len();
        // An instrument file: every open screening test of the donation at once; or one
        // result, mostly in the phase the test waits for, sometimes out of order.
        let picks: Vec<usize> = if rng.gen_bool(0.7) { (0..n).collect() } else { vec![rng.gen_range(0..n)] };
        for i in picks {
            let t = &self.donations[d].tests[i];
            if t.code == "ABO_RH" || (n > 1 && t.status.is_final() && rng.gen_bool(0.9)) {
                continue;
            }
            let phase = match (rng.gen_bool(0.85), t.status) {
                (true, Status::Pending) => Phase::Initial,
                (true, Status::AwaitingRepeat { .. }) => Phase::Repeat,
                (true, _) => Phase::Confirmatory,
                (false, _) => [Phase::Initial, Phase::Repeat, Phase::Confirmatory][rng.gen_range(0..3)],
            };
            let reading = if rng.gen_bool(0.04) { Reading::Reactive } else { Reading::Nonreactive };
            let rule = self.book.versions()[0].test(&t.code).expect("ordered from the rules").clone();
            match next(&rule, t.status, phase, reading) {
                Ok(s) => self.donations[d].tests[i].status = s,
                Err(_) => out.refused_results += 1,
            }
            if self.donations[d].tests[i].status == Status::Reactive {
                if let Some(def) = &rule.deferral {
                    let day = self.donations[d].collected_on;
                    let ends_on = def.days.map(|n| day + Duration::days(i64::from(n)));
                    let donor = self.donations[d].donor;
                    self.donors[donor].deferrals.push(DeferralSpan { starts_on: day, ends_on, reason: def.reason.clone() });
                }
            }
        }
    }

    fn release(&mut self, rng: &mut ChaCha8Rng, how: Release, out: &mut Outcome) {
        // Mostly a unit waiting for release, sometimes any unit.
        let waiting: Vec<usize> = (0..self.units.len()).filter(|i| self.units[*i].state.is_unreleased()).collect();
        let i = match (waiting.is_empty(), rng.gen_bool(0.8)) {
            (false, true) => waiting[rng.gen_range(0..waiting.len())],
            _ if self.units.is_empty() => return,
            _ => rng.gen_range(0..self.units.len()),
        };
        let u = &self.units[i];
        let d = &self.donations[u.donation];
        let right = self.donors[d.donor].history.or(d.typing);
        let label = match rng.gen_range(0..10) {
            0 => LabelScan::NotScanned,
            1 => LabelScan::Scanned { din: u.din.clone(), product_code: "E9999V00".into(), group: right },
            2 => LabelScan::Scanned { din: u.din.clone(), product_code: u.code.clone(), group: Some(group(rng)) },
            _ => LabelScan::Scanned { din: u.din.clone(), product_code: u.code.clone(), group: right },
        };
        if gate(&self.facts(u, label), how).is_empty() {
            self.units[i].state = ComponentState::Available;
            self.units[i].emergency = how == Release::Emergency;
            out.releases += 1;
            if how == Release::Emergency {
                out.emergency_releases += 1;
            }
        } else {
            out.refused_releases += 1;
        }
    }

    fn step(&mut self, rng: &mut ChaCha8Rng, out: &mut Outcome) {
        match rng.gen_range(0..100) {
            0..=9 => self.collect(rng),
            10..=49 => self.result(rng, out),
            50..=51 => {
                if !self.donors.is_empty() {
                    // A deferral recorded now that may reach back to earlier collections.
                    let donor = rng.gen_range(0..self.donors.len());
                    let starts_on = self.now.date_naive() - Duration::days(rng.gen_range(0..60));
                    let ends_on = if rng.gen_bool(0.8) { Some(starts_on + Duration::days(rng.gen_range(0..30))) } else { None };
                    self.donors[donor].deferrals.push(DeferralSpan { starts_on, ends_on, reason: "post-donation information".into() });
                }
            }
            52..=56 => {
                // Discrepancies open now and then; quality resolves them.
                if !self.donors.is_empty() {
                    let donor = rng.gen_range(0..self.donors.len());
                    self.donors[donor].discrepancy = rng.gen_bool(0.3);
                }
            }
            57..=61 => {
                if !self.units.is_empty() {
                    let u = rng.gen_range(0..self.units.len());
                    if self.units[u].holds.is_empty() || rng.gen_bool(0.5) {
                        let kind = ["lookback", "deviation", "recall", "temperature"][rng.gen_range(0..4)];
                        self.units[u].holds.push(Hold { kind: kind.into(), reason: "opened in the history".into() });
                    } else {
                        self.units[u].holds.clear();
                    }
                }
            }
            62..=63 => {
                if !self.units.is_empty() {
                    let u = rng.gen_range(0..self.units.len());
                    self.units[u].qc_failed = rng.gen_bool(0.7);
                }
            }
            64..=71 => self.now += Duration::hours(rng.gen_range(1..96)),
            72..=75 => {
                if !self.units.is_empty() {
                    let u = rng.gen_range(0..self.units.len());
                    if self.units[u].state.can_be_processed() && self.units[u].kind == ComponentKind::RedCells {
                        let old = &self.units[u];
                        let made = Unit {
                            donation: old.donation,
                            din: old.din.clone(),
                            code: format!("E04{:02}V00", self.units.len() % 100),
                            kind: old.kind,
                            state: ComponentState::InProcessing,
                            expires_at: old.expires_at.min(self.now + Duration::days(28)),
                            holds: old.holds.clone(),
                            qc_failed: false,
                            emergency: false,
                        };
                        self.units[u].state = ComponentState::Modified;
                        self.units.push(made);
                    }
                }
            }
            76..=95 => self.release(rng, Release::Standard, out),
            _ => self.release(rng, Release::Emergency, out),
        }
        out.events += 1;
        self.regate(out);
    }

    /// The oracle: every available unit, checked from the conditions themselves.
    fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        for u in self.units.iter().filter(|u| u.state == ComponentState::Available) {
            let d = &self.donations[u.donation];
            let donor = &self.donors[d.donor];
            let mut why = Vec::new();
            if u.expires_at <= self.now {
                why.push("expired".to_string());
            }
            if !u.holds.is_empty() {
                why.push("on hold".into());
            }
            if u.qc_failed {
                why.push("QC failed".into());
            }
            if !d.eligible {
                why.push("donor not eligible".into());
            }
            if donor.deferrals.iter().any(|x| x.starts_on <= d.collected_on && x.ends_on.is_none_or(|e| d.collected_on <= e)) {
                why.push("donor deferred on the collection day".into());
            }
            let plasma = !matches!(u.kind, ComponentKind::RedCells | ComponentKind::RedCellsFrozen);
            for t in &d.tests {
                let applies = match t.blocks {
                    crate::testing::Blocks::All => true,
                    crate::testing::Blocks::PlasmaContaining => plasma,
                    crate::testing::Blocks::None => false,
                };
                if applies && t.status == Status::Reactive {
                    why.push(format!("{} reactive", t.code));
                }
                if applies && !u.emergency && !matches!(t.status, Status::Nonreactive | Status::Reactive) {
                    why.push(format!("{} not final", t.code));
                }
            }
            if let (Some(a), Some(b)) = (d.typing, donor.history) {
                if a != b {
                    why.push("ABO/RhD differs from history".into());
                }
            }
            if !u.emergency && (d.typing.is_none() || donor.history.is_none()) {
                why.push("ABO/RhD not confirmed".into());
            }
            if donor.discrepancy {
                why.push("open discrepancy".into());
            }
            if !why.is_empty() {
                v.push(format!("{} {} available although: {}", u.din, u.code, why.join(", ")));
            }
        }
        v
    }
}

/// Runs one history of `events` events from `seed`; `Err` names the first unit found
/// available although a condition fails.
pub fn run_history(seed: u64, events: usize) -> Result<Outcome, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = World {
        now: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().expect("a valid time"),
        book: TestingBook::defaults(),
        donors: vec![],
        donations: vec![],
        units: vec![],
    };
    let mut out = Outcome::default();
    for step in 0..events {
        w.step(&mut rng, &mut out);
        if let Some(v) = w.violations().into_iter().next() {
            return Err(format!("history {seed}, event {step}: {v}"));
        }
    }
    Ok(out)
}

/// Runs `histories` histories from consecutive seeds.
pub fn run_many(first_seed: u64, histories: u64, events: usize) -> Result<Outcome, String> {
    let mut total = Outcome::default();
    for s in first_seed..first_seed + histories {
        total += run_history(s, events)?;
    }
    Ok(total)
}
