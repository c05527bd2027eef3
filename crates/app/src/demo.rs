//! The demo blood centre: a realistic, deterministic data set for trying hemaflow.
//!
//! Same seed and same as-of date give the same centre. Blood groups follow the US
//! population as a blood centre publishes it ("About blood types",
//! http://www.mbc.org/About-Blood/About-Blood-Overview/Blood-Types: O+ 38%, O- 7%,
//! A+ 34%, A- 6%, B+ 9%, B- 2%, AB+ 3%, AB- 1%). Donation intervals respect the
//! 8-week whole blood and 16-week double red cell intervals (reference/domain-rules.md §1.2).

mod apheresis;
mod apheresis_history;
mod appointments;
mod inventory;
mod manufacture;
mod quality;
mod sales;
mod screening;
mod testing;

use crate::users::NewUserInput;
use crate::{Actor, App, AppError, Result};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::{AuditDraft, BloodGroup, DonationProcedure, DonorNumber, HospitalInput, Role, SiteInput};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{DonationRow, DonorRow};
use uuid::Uuid;

mod recruitment;

/// The demo's staff member (or hospital user) acting with these roles, as the
/// people at the centre would. The first role names them.
pub(crate) fn demo_actor(roles: &[Role], hospital_id: Option<Uuid>) -> Actor {
    Actor {
        user_id: None,
        username: roles[0].as_str().into(),
        display_name: format!("Demo {}", roles[0].title()),
        roles: domain::Roles::new(roles.iter().copied()).expect("a role"),
        hospital_id,
        via_token: false,
    }
}

pub const DEFAULT_SEED: u64 = 2026;
pub const DEFAULT_DONORS: u32 = 5_000;
/// The demo's facility identification number: A9990–A9999 are reserved by ICCBBA
/// for validation and testing (reference/isbt128.md §1.1).
pub const DEMO_FIN: &str = "A9998";
pub const DEMO_FACILITY: &str = "Riverside Blood Services";

/// One demo login per role.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
}

pub fn demo_logins() -> Vec<DemoLogin> {
    Role::ALL
        .into_iter()
        .map(|role| DemoLogin { username: role.as_str().to_string(), password: format!("{}-demo-pass", role.as_str()), role })
        .collect()
}

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub seed: u64,
    pub donors: u32,
    pub as_of: NaiveDate,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self { seed: DEFAULT_SEED, donors: DEFAULT_DONORS, as_of: Utc::now().date_naive() }
    }
}

/// What the generator made.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    pub sites: usize,
    pub hospitals: usize,
    pub donors: u32,
    pub donations: u64,
    pub logins: Vec<DemoLogin>,
}

const SITES: &[(&str, &str, &str, &str, &str)] = &[
    ("MAIN", "Riverside Donor Center", "fixed", "1200 River Road", "Springfield"),
    ("NORTH", "Northgate Donor Center", "fixed", "85 Northgate Plaza", "Springfield"),
    ("DRV-UNIV", "State University Student Union", "mobile", "400 College Avenue", "Springfield"),
    ("DRV-STLUKE", "St Luke's Parish Hall", "mobile", "17 Church Street", "Chatham"),
    ("DRV-ACME", "Acme Manufacturing Campus", "mobile", "2500 Industrial Parkway", "Sherman"),
    ("DRV-LINCOLN", "Lincoln High School Gym", "mobile", "900 Lincoln Way", "Rochester"),
    ("DRV-MALL", "Westfield Mall Community Room", "mobile", "3100 Veterans Parkway", "Springfield"),
];

const HOSPITALS: &[(&str, &str, &str)] = &[
    ("H-STMARY", "St Mary's Medical Center", "Springfield"),
    ("H-SPGEN", "Springfield General Hospital", "Springfield"),
    ("H-RIVKIDS", "Riverside Children's Hospital", "Springfield"),
    ("H-LAKEVIEW", "Lakeview Regional Medical Center", "Decatur"),
    ("H-MEMORIAL", "Memorial Hospital of Jacksonville", "Jacksonville"),
    ("H-PRAIRIE", "Prairie Heart Institute", "Springfield"),
    ("H-CARLIN", "Carlinville Area Hospital", "Carlinville"),
    ("H-TAYLOR", "Taylorville Memorial Hospital", "Taylorville"),
    ("H-LINCOLN", "Lincoln Memorial Hospital", "Lincoln"),
    ("H-ABRAHAM", "Abraham Lincoln Regional", "Lincoln"),
    ("H-PANA", "Pana Community Hospital", "Pana"),
    ("H-HILLSB", "Hillsboro Area Hospital", "Hillsboro"),
    ("H-PASSAV", "Passavant Area Hospital", "Jacksonville"),
    ("H-STJOHN", "St John's Hospital", "Springfield"),
    ("H-DECMEM", "Decatur Memorial Hospital", "Decatur"),
    ("H-MASON", "Mason District Hospital", "Havana"),
    ("H-SARAH", "Sarah Bush Lincoln Health Center", "Mattoon"),
    ("H-OSF", "Heartland Regional Medical Center", "Bloomington"),
    ("H-CARLE", "Carle Prairie Hospital", "Urbana"),
    ("H-VAHOSP", "Veterans Affairs Medical Center", "Danville"),
];

const FEMALE: &[&str] = &[
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sharon",
    "Cynthia",
    "Amy",
    "Maria",
    "Guadalupe",
    "Mei",
    "Aisha",
    "Priya",
    "Keisha",
    "Hannah",
    "Olivia",
    "Sofia",
    "Grace",
];
const MALE: &[&str] = &[
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Jason",
    "Edward",
    "Jeffrey",
    "Ryan",
    "Jose",
    "Luis",
    "Wei",
    "Omar",
    "Raj",
    "Darnell",
    "Ethan",
    "Noah",
    "Liam",
    "Samuel",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
    "Chen",
    "Okafor",
    "Kowalski",
    "Schmidt",
    "Murphy",
    "O'Brien",
    "Sullivan",
    "Novak",
];

/// Blood group weights in percent, in `BloodGroup::ALL` order (O+, O-, A+, A-, B+, B-, AB+, AB-).
const GROUP_WEIGHTS: [u32; 8] = [38, 7, 34, 6, 9, 2, 3, 1];

fn pick_group(rng: &mut ChaCha8Rng) -> BloodGroup {
    let total: u32 = GROUP_WEIGHTS.iter().sum();
    let mut roll = rng.gen_range(0..total);
    for (g, w) in BloodGroup::ALL.iter().zip(GROUP_WEIGHTS) {
        if roll < w {
            return *g;
        }
        roll -= w;
    }
    unreachable!("weights cover the roll")
}

fn min_gap_days(p: DonationProcedure) -> i64 {
    match p {
        DonationProcedure::WholeBlood => 56,
        DonationProcedure::DoubleRedCells => 112,
        DonationProcedure::Platelets | DonationProcedure::Plasma => 14,
        DonationProcedure::SourcePlasma => 3,
        DonationProcedure::Autologous => 56,
    }
}

impl App {
    /// Fills an empty database with the demo centre. Refuses a database that already
    /// holds sites, hospitals or donors. `progress(done, total)` is called as donors are written.
    pub async fn generate_demo(&self, opts: DemoOptions, mut progress: impl FnMut(u64, u64)) -> Result<DemoSummary> {
        let actor = Actor { username: "demo-generator".into(), ..Actor::operator() };
        {
            let mut tx = self.store.begin_write().await?;
            if !tx.is_empty().await? {
                return Err(AppError::Conflict(
                    "the database already holds data (users, sites, hospitals or donors); the demo centre is only generated into an empty database"
                        .into(),
                ));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let mut site_ids = Vec::new();
        for (code, name, kind, address, city) in SITES {
            let s = self
                .create_site(
                    &actor,
                    &SiteInput {
                        code: code.to_string(),
                        name: name.to_string(),
                        kind: kind.to_string(),
                        address: address.to_string(),
                        city: city.to_string(),
                        region: "IL".into(),
                        time_zone: "America/Chicago".into(),
                        active: true,
                    },
                )
                .await?;
            site_ids.push(s.id);
        }
        for (i, (code, name, city)) in HOSPITALS.iter().enumerate() {
            let slug = code.trim_start_matches("H-").to_lowercase();
            self.create_hospital(
                &actor,
                &HospitalInput {
                    code: code.to_string(),
                    name: name.to_string(),
                    address: format!("{} Medical Drive", 100 + i * 37),
                    city: city.to_string(),
                    contact_name: format!("{} {}", FEMALE[i % FEMALE.len()], LAST[(i * 7) % LAST.len()]),
                    contact_email: format!("bloodbank@{slug}.example.org"),
                    contact_phone: format!("+1 217-555-{:04}", 100 + i),
                    delivery_site: if i % 3 == 0 { "NORTH" } else { "MAIN" }.into(),
                    status: match i {
                        17 => "on_hold",
                        19 => "closed",
                        _ => "active",
                    }
                    .into(),
                },
            )
            .await?;
        }
        let logins = demo_logins();
        for l in &logins {
            self.create_user(
                &actor,
                &NewUserInput {
                    username: l.username.clone(),
                    display_name: format!("Demo {}", l.role.title()),
                    email: format!("{}@hemaflow.example.org", l.username),
                    password: l.password.clone(),
                    roles: vec![l.role.as_str().to_string()],
                    hospital: (l.role == Role::Hospital).then(|| HOSPITALS[0].0.to_string()),
                },
            )
            .await?;
        }

        // Noon of the day, but never later than now: a demo made in the early hours (UTC)
        // must not date its donors, typings and donations in the future.
        let as_of = Utc.from_utc_datetime(&opts.as_of.and_hms_opt(12, 0, 0).expect("noon")).min(Utc::now());
        let mut din_seq: std::collections::HashMap<i32, u32> = Default::default();
        let mut donations = 0u64;
        const BATCH: u32 = 250;
        let mut n = 0u32;
        while n < opts.donors {
            let mut tx = self.store.begin_write().await?;
            for _ in 0..BATCH.min(opts.donors - n) {
                n += 1;
                let (donor, history) = make_donor(&mut rng, n, as_of, &site_ids);
                tx.insert_donor(&donor).await?;
                tx.append_audit(AuditDraft::new(&actor.username, "donor.register", "donor", &donor.donor_number).donor(&donor.donor_number).after(
                    serde_json::json!({
                        "donor_number": donor.donor_number, "first_name": donor.first_name, "last_name": donor.last_name,
                        "birth_date": donor.birth_date, "sex": donor.sex, "abo": donor.group.columns().0, "rhd": donor.group.columns().1,
                    }),
                ))
                .await?;
                for (procedure, at, site) in history {
                    // The DIN year is the collection year in the site's (Chicago) calendar.
                    let year = chrono::Datelike::year(&at.with_timezone(&chrono_tz::America::Chicago));
                    let seq = din_seq.entry(year).or_insert(0);
                    *seq += 1;
                    let din = format!("{DEMO_FIN}{:02}{:06}", year % 100, seq);
                    let d = DonationRow {
                        id: Uuid::now_v7(),
                        donor_id: donor.id,
                        din: Some(din.clone()),
                        procedure,
                        site_id: Some(site),
                        collected_at: at,
                    };
                    tx.insert_imported_donation(&d).await?;
                    tx.insert_din_assignment(&store::DinAssignment {
                        din: din.clone(),
                        fin: DEMO_FIN.into(),
                        year: year as i64,
                        seq: *seq as i64,
                        source: "sequence".into(),
                        label_set_id: None,
                        assigned_at: at,
                        assigned_by: actor.username.clone(),
                    })
                    .await?;
                    tx.append_audit(AuditDraft::new(&actor.username, "donation.record", "donation", d.id).donor(&donor.donor_number).after(
                        serde_json::json!({
                            "donor_number": donor.donor_number, "din": din, "procedure": d.procedure, "collected_at": at,
                        }),
                    ))
                    .await?;
                    donations += 1;
                }
            }
            tx.commit().await?;
            progress(n as u64, opts.donors as u64);
        }
        self.demo_registry(&actor, opts.seed, as_of).await?;
        // The DIN counters continue after the demo's donations.
        let mut tx = self.store.begin_write().await?;
        for (year, seq) in &din_seq {
            tx.raise_din_seq(DEMO_FIN, *year as i64, *seq as i64).await?;
        }
        tx.commit().await?;
        self.demo_screening(&actor, opts.donors).await?;
        self.demo_apheresis_service(&actor).await?;
        // Before the sales, whose month invoices then carry the procedures too.
        self.demo_apheresis_history(&actor, opts.seed, opts.as_of).await?;
        if self.settings.fin.is_some() {
            self.demo_manufacture(&actor).await?;
            let lab = demo_logins().into_iter().find(|l| l.role == Role::Lab).expect("a lab login");
            self.demo_testing(&actor, &lab.password).await?;
            self.demo_inventory(&actor, &lab.password).await?;
            self.demo_quality().await?;
            self.demo_sales(&actor, opts.seed, opts.as_of).await?;
        }
        // Stored return propensity scores, so segments and campaigns have them at once.
        self.score_pool(&actor, opts.as_of).await?;
        self.demo_recruitment(&actor, opts.as_of).await?;
        self.demo_appointments(&actor, opts.seed).await?;
        self.demo_apheresis_requests(&actor).await?;
        Ok(DemoSummary { sites: SITES.len(), hospitals: HOSPITALS.len(), donors: opts.donors, donations, logins })
    }
}

type History = Vec<(DonationProcedure, DateTime<Utc>, Uuid)>;

fn make_donor(rng: &mut ChaCha8Rng, n: u32, as_of: DateTime<Utc>, sites: &[Uuid]) -> (DonorRow, History) {
    let female = rng.gen_bool(0.52);
    let first = if female { FEMALE.choose(rng) } else { MALE.choose(rng) }.expect("names").to_string();
    let last = LAST.choose(rng).expect("names").to_string();
    let age_days = rng.gen_range(18 * 365 + 5..76 * 365);
    let birth_date = (as_of - Duration::days(age_days)).date_naive();
    let group = pick_group(rng);
    let home = match rng.gen_range(0..100) {
        0..=44 => sites[0],
        45..=74 => sites[1],
        _ => sites[rng.gen_range(2..sites.len())],
    };
    let email = rng.gen_bool(0.85).then(|| format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase().replace('\'', ""), n % 97));
    let phone = rng.gen_bool(0.9).then(|| format!("+1 217-555-{:04}", rng.gen_range(0..10_000)));
    let donor = DonorRow {
        id: Uuid::now_v7(),
        donor_number: DonorNumber::sequential(n).as_str().to_string(),
        first_name: first,
        last_name: last,
        birth_date,
        sex: if female { domain::Sex::Female } else { domain::Sex::Male },
        group: store::GroupOnRecord(Some(group)),
        email,
        phone,
        preferred_site: Some(home),
        created_at: as_of,
    };

    // A donor's habits: usual procedure, how often they come, and whether they lapsed.
    let procedure = match rng.gen_range(0..100) {
        0..=84 => DonationProcedure::WholeBlood,
        85..=89 => DonationProcedure::DoubleRedCells,
        90..=96 => DonationProcedure::Platelets,
        _ => DonationProcedure::Plasma,
    };
    let per_year: f64 = match procedure {
        DonationProcedure::Platelets => rng.gen_range(2.0..12.0),
        DonationProcedure::Plasma => rng.gen_range(2.0..8.0),
        DonationProcedure::DoubleRedCells => rng.gen_range(1.0..3.0),
        _ => rng.gen_range(0.5..4.5),
    };
    let adult_days = age_days - 18 * 365;
    let first_back = rng.gen_range(20..=(10 * 365).min(adult_days).max(21));
    let lapsed_days = if rng.gen_bool(0.35) { rng.gen_range(120..first_back.max(121)) } else { 0 };
    let mut history = Vec::new();
    let mut t = as_of - Duration::days(first_back);
    let end = as_of - Duration::days(lapsed_days.max(1));
    while t < end {
        let minute = rng.gen_range(8 * 60..18 * 60);
        let at = Utc.from_utc_datetime(&t.date_naive().and_hms_opt(0, 0, 0).expect("midnight")) + Duration::minutes(minute + 6 * 60);
        let site = if rng.gen_bool(0.8) { home } else { sites[rng.gen_range(0..sites.len())] };
        history.push((procedure, at, site));
        let mean_gap = 365.0 / per_year;
        let gap = (mean_gap * rng.gen_range(0.7..1.6)) as i64;
        t += Duration::days(gap.max(min_gap_days(procedure)) + 1);
    }
    (donor, history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blood_groups_follow_the_population() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0u32; 8];
        for _ in 0..20_000 {
            let g = pick_group(&mut rng);
            counts[BloodGroup::ALL.iter().position(|x| *x == g).unwrap()] += 1;
        }
        // O+ about 38 %, AB- about 1 %.
        assert!((7_200..8_000).contains(&counts[0]), "{counts:?}");
        assert!((100..300).contains(&counts[7]), "{counts:?}");
    }

    #[test]
    fn histories_respect_donation_intervals_and_stay_in_the_past() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let as_of = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let sites = vec![Uuid::nil(), Uuid::max(), Uuid::nil()];
        for n in 1..500 {
            let (donor, h) = make_donor(&mut rng, n, as_of, &sites);
            assert!(donor.birth_date <= (as_of - Duration::days(18 * 365)).date_naive());
            for w in h.windows(2) {
                let gap = (w[1].1.date_naive() - w[0].1.date_naive()).num_days();
                assert!(gap >= min_gap_days(w[0].0), "gap {gap} for {:?}", w[0].0);
            }
            assert!(h.iter().all(|(_, at, _)| *at < as_of + Duration::days(1)));
        }
    }

    #[test]
    fn same_seed_same_donors() {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let sites = vec![Uuid::nil(), Uuid::max(), Uuid::nil()];
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (1..50)
                .map(|n| {
                    let (d, h) = make_donor(&mut rng, n, as_of, &sites);
                    (d.first_name, d.last_name, d.birth_date, d.group, h.len())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
