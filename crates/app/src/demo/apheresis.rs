//! Demo: the therapeutic apheresis service. Four nurses (the demo login
//! `apheresis_nurse` among them) with certifications, hours and an on-call rota for the
//! next two weeks; seven devices, one past its maintenance date; travel times from the
//! two donor centres to the hospitals; today's requests in every state the service
//! reaches before a procedure is recorded, the scheduled ones filling the coming two
//! weeks. Everything goes through the use cases staff use; the completed requests of the
//! past are imported (`apheresis_history`).

use crate::apheresis::{DecisionInput, NoteInput};
use crate::apheresis_schedule::{CertificationInput, DeviceInput, NurseInput, OnCallInput, ScheduleInput, TravelInput};
use crate::users::NewUserInput;
use crate::{Actor, App, Result};
use chrono::{Duration, NaiveDate};
use domain::apheresis::request::RequestInput;

/// Minutes from the donor centres to the hospitals the nurses serve.
const TRAVEL: &[(&str, &str, i64)] = &[
    ("MAIN", "H-STMARY", 15),
    ("MAIN", "H-SPGEN", 20),
    ("MAIN", "H-RIVKIDS", 15),
    ("MAIN", "H-STJOHN", 20),
    ("MAIN", "H-PRAIRIE", 25),
    ("MAIN", "H-LAKEVIEW", 55),
    ("MAIN", "H-MEMORIAL", 45),
    ("MAIN", "NORTH", 20),
    ("NORTH", "H-STMARY", 25),
    ("NORTH", "H-SPGEN", 15),
    ("NORTH", "H-RIVKIDS", 30),
    ("NORTH", "H-STJOHN", 15),
    ("NORTH", "H-PRAIRIE", 20),
    ("NORTH", "H-LAKEVIEW", 50),
    ("NORTH", "H-MEMORIAL", 55),
    ("H-STMARY", "H-SPGEN", 15),
    ("H-STMARY", "H-RIVKIDS", 10),
    ("H-STMARY", "H-STJOHN", 15),
    ("H-STMARY", "H-PRAIRIE", 20),
    ("H-STMARY", "H-LAKEVIEW", 55),
    ("H-STMARY", "H-MEMORIAL", 45),
    ("H-SPGEN", "H-RIVKIDS", 20),
    ("H-SPGEN", "H-STJOHN", 10),
    ("H-SPGEN", "H-PRAIRIE", 15),
    ("H-SPGEN", "H-LAKEVIEW", 50),
    ("H-SPGEN", "H-MEMORIAL", 50),
    ("H-RIVKIDS", "H-STJOHN", 20),
    ("H-RIVKIDS", "H-PRAIRIE", 25),
    ("H-RIVKIDS", "H-LAKEVIEW", 60),
    ("H-RIVKIDS", "H-MEMORIAL", 45),
    ("H-STJOHN", "H-PRAIRIE", 15),
    ("H-STJOHN", "H-LAKEVIEW", 50),
    ("H-STJOHN", "H-MEMORIAL", 50),
    ("H-PRAIRIE", "H-LAKEVIEW", 45),
    ("H-PRAIRIE", "H-MEMORIAL", 55),
    ("H-LAKEVIEW", "H-MEMORIAL", 90),
];

/// (username, name, home, weekdays, start, end, certifications as (procedure, days valid from today; negative: expired))
type NurseSpec = (&'static str, &'static str, &'static str, &'static [&'static str], &'static str, &'static str, &'static [(&'static str, i64)]);

const NURSES: &[NurseSpec] = &[
    (
        "apheresis_nurse",
        "Alex Reed",
        "MAIN",
        &["mon", "tue", "wed", "thu", "fri"],
        "07:00",
        "19:00",
        &[("plasma_exchange", 400), ("red_cell_exchange", 200), ("leukocytapheresis", 300)],
    ),
    (
        "nurse.okafor",
        "Grace Okafor",
        "MAIN",
        &["mon", "tue", "wed", "thu", "fri"],
        "07:00",
        "19:00",
        &[("plasma_exchange", 250), ("photopheresis", 330), ("stem_cell_collection", 180)],
    ),
    (
        "nurse.santos",
        "Luis Santos",
        "NORTH",
        &["tue", "wed", "thu", "fri", "sat"],
        "08:00",
        "20:00",
        &[("plasma_exchange", 90), ("ldl_apheresis", 300), ("immunoadsorption", 300), ("photopheresis", -20)],
    ),
    (
        "nurse.kowalski",
        "Anna Kowalski",
        "NORTH",
        &["mon", "tue", "wed", "thu", "fri"],
        "06:30",
        "18:30",
        &[("plasma_exchange", 500), ("red_cell_exchange", 500), ("red_cell_depletion", 500), ("plateletpheresis", 120)],
    ),
];

/// (name, serial, type, maintenance due in days from today, home)
const DEVICES: &[(&str, &str, &str, i64, &str)] = &[
    ("Cell separator 1", "CS-10421", "centrifugal", 120, "MAIN"),
    ("Cell separator 2", "CS-10577", "centrifugal", 45, "MAIN"),
    ("Cell separator 3", "CS-11032", "centrifugal", 200, "NORTH"),
    ("Cell separator 4", "CS-09984", "centrifugal", -9, "NORTH"),
    ("Membrane separator", "MP-2231", "membrane", 90, "MAIN"),
    ("Photopheresis system", "PX-0871", "photopheresis", 150, "MAIN"),
    ("Adsorption system", "AD-3310", "adsorption", 60, "NORTH"),
];

/// A request of the demo and how far it goes.
struct Case {
    hospital: &'static str,
    mrn: &'static str,
    patient: &'static str,
    birth: &'static str,
    sex: &'static str,
    height: f64,
    weight: f64,
    hct: f64,
    physician: &'static str,
    indication: &'static str,
    asfa: (&'static str, &'static str),
    procedure: &'static str,
    treatments: i64,
    every_days: i64,
    urgency: &'static str,
    /// Days from today of the first day wanted.
    from_day: i64,
    location: &'static str,
    access: &'static str,
    /// submitted, info_requested, accepted, rejected, scheduled, cancelled
    goes_to: &'static str,
    /// A red cell exchange's targets: hematocrit wanted, HbS now, HbS wanted.
    red_cell_targets: Option<(f64, f64, f64)>,
}

const CASES: &[Case] = &[
    Case {
        hospital: "H-STMARY",
        mrn: "SM-228841",
        patient: "Dolores Whitfield",
        birth: "1968-04-17",
        sex: "F",
        height: 163.0,
        weight: 71.0,
        hct: 0.27,
        physician: "Dr. Priya Raman",
        indication: "Thrombotic thrombocytopenic purpura (TTP), acquired",
        asfa: ("I", "1A"),
        procedure: "plasma_exchange",
        treatments: 5,
        every_days: 1,
        urgency: "urgent",
        from_day: 0,
        location: "ICU, bed 7",
        access: "Central venous catheter (right internal jugular)",
        goes_to: "scheduled",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-SPGEN",
        mrn: "SG-0045712",
        patient: "Harold Brennan",
        birth: "1957-11-02",
        sex: "M",
        height: 178.0,
        weight: 84.0,
        hct: 0.41,
        physician: "Dr. Samuel Ortiz",
        indication: "Myasthenia gravis, acute exacerbation",
        asfa: ("I", "1B"),
        procedure: "plasma_exchange",
        treatments: 5,
        every_days: 2,
        urgency: "scheduled",
        from_day: 1,
        location: "Neurology ward, room 412",
        access: "Peripheral veins",
        goes_to: "scheduled",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-RIVKIDS",
        mrn: "RK-77120",
        patient: "Jaylen Carter",
        birth: "2014-06-23",
        sex: "M",
        height: 138.0,
        weight: 31.0,
        hct: 0.24,
        physician: "Dr. Helen Abiodun",
        indication: "Sickle cell disease, acute stroke",
        asfa: ("I", "1C"),
        procedure: "red_cell_exchange",
        treatments: 1,
        every_days: 1,
        urgency: "urgent",
        from_day: 0,
        location: "Paediatric ICU, bed 2",
        access: "Central venous catheter (femoral)",
        goes_to: "scheduled",
        red_cell_targets: Some((0.30, 0.92, 0.30)),
    },
    Case {
        hospital: "H-LAKEVIEW",
        mrn: "LV-310987",
        patient: "Teresa Nowak",
        birth: "1979-01-30",
        sex: "F",
        height: 170.0,
        weight: 66.0,
        hct: 0.38,
        physician: "Dr. Marcus Lee",
        indication: "Guillain-Barré syndrome",
        asfa: ("I", "1A"),
        procedure: "plasma_exchange",
        treatments: 5,
        every_days: 2,
        urgency: "scheduled",
        from_day: 2,
        location: "Medical ward 3B",
        access: "Dialysis catheter",
        goes_to: "scheduled",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-STJOHN",
        mrn: "SJ-550231",
        patient: "Robert Fitzgerald",
        birth: "1962-09-12",
        sex: "M",
        height: 182.0,
        weight: 77.0,
        hct: 0.33,
        physician: "Dr. Alice Mbeki",
        indication: "Chronic graft-versus-host disease, skin",
        asfa: ("II", "1C"),
        procedure: "photopheresis",
        treatments: 2,
        every_days: 7,
        urgency: "scheduled",
        from_day: 3,
        location: "Haematology day unit",
        access: "Port",
        goes_to: "scheduled",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-PRAIRIE",
        mrn: "PH-102277",
        patient: "Marjorie Haines",
        birth: "1971-05-08",
        sex: "F",
        height: 160.0,
        weight: 59.0,
        hct: 0.39,
        physician: "Dr. Kenji Watanabe",
        indication: "Familial hypercholesterolaemia, heterozygous",
        asfa: ("II", "1A"),
        procedure: "ldl_apheresis",
        treatments: 1,
        every_days: 14,
        urgency: "scheduled",
        from_day: 4,
        location: "Cardiology outpatients",
        access: "Peripheral veins",
        goes_to: "scheduled",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-STMARY",
        mrn: "SM-230017",
        patient: "Kevin O'Donnell",
        birth: "1985-02-14",
        sex: "M",
        height: 175.0,
        weight: 90.0,
        hct: 0.44,
        physician: "Dr. Priya Raman",
        indication: "Hyperviscosity in Waldenström macroglobulinaemia, symptomatic",
        asfa: ("I", "1B"),
        procedure: "plasma_exchange",
        treatments: 2,
        every_days: 1,
        urgency: "urgent",
        from_day: 0,
        location: "Haematology ward, room 9",
        access: "Peripheral veins",
        goes_to: "submitted",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-SPGEN",
        mrn: "SG-0046120",
        patient: "Linda Park",
        birth: "1990-07-19",
        sex: "F",
        height: 158.0,
        weight: 52.0,
        hct: 0.36,
        physician: "Dr. Samuel Ortiz",
        indication: "Chronic inflammatory demyelinating polyneuropathy",
        asfa: ("I", "1B"),
        procedure: "plasma_exchange",
        treatments: 6,
        every_days: 3,
        urgency: "scheduled",
        from_day: 7,
        location: "Neurology day unit",
        access: "Peripheral veins",
        goes_to: "submitted",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-MEMORIAL",
        mrn: "MJ-88213",
        patient: "Eugene Talbot",
        birth: "1949-12-01",
        sex: "M",
        height: 172.0,
        weight: 69.0,
        hct: 0.35,
        physician: "Dr. Rita Chandra",
        indication: "ANCA-associated vasculitis with diffuse alveolar haemorrhage",
        asfa: ("II", "1C"),
        procedure: "plasma_exchange",
        treatments: 7,
        every_days: 2,
        urgency: "scheduled",
        from_day: 5,
        location: "ICU, bed 3",
        access: "Central venous catheter",
        goes_to: "info_requested",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-RIVKIDS",
        mrn: "RK-77455",
        patient: "Mia Fernandez",
        birth: "2016-03-11",
        sex: "F",
        height: 128.0,
        weight: 24.0,
        hct: 0.29,
        physician: "Dr. Helen Abiodun",
        indication: "Sickle cell disease, chronic transfusion for stroke prevention",
        asfa: ("I", "1A"),
        procedure: "red_cell_exchange",
        treatments: 1,
        every_days: 28,
        urgency: "scheduled",
        from_day: 9,
        location: "Day hospital",
        access: "Port",
        goes_to: "accepted",
        red_cell_targets: Some((0.30, 0.45, 0.30)),
    },
    Case {
        hospital: "H-LAKEVIEW",
        mrn: "LV-311402",
        patient: "Gordon Pike",
        birth: "1966-08-25",
        sex: "M",
        height: 180.0,
        weight: 95.0,
        hct: 0.42,
        physician: "Dr. Marcus Lee",
        indication: "Amyotrophic lateral sclerosis",
        asfa: ("IV", "1B"),
        procedure: "plasma_exchange",
        treatments: 5,
        every_days: 2,
        urgency: "scheduled",
        from_day: 6,
        location: "Neurology ward",
        access: "Peripheral veins",
        goes_to: "rejected",
        red_cell_targets: None,
    },
    Case {
        hospital: "H-STJOHN",
        mrn: "SJ-551090",
        patient: "Nora Quinlan",
        birth: "1975-10-05",
        sex: "F",
        height: 166.0,
        weight: 63.0,
        hct: 0.37,
        physician: "Dr. Alice Mbeki",
        indication: "Hyperleukocytosis in acute myeloid leukaemia",
        asfa: ("III", "2B"),
        procedure: "leukocytapheresis",
        treatments: 1,
        every_days: 1,
        urgency: "urgent",
        from_day: 1,
        location: "Haematology ward",
        access: "Dialysis catheter",
        goes_to: "cancelled",
        red_cell_targets: None,
    },
];

impl App {
    /// The service's people and machines: travel times, nurses, the on-call rota, devices.
    pub(crate) async fn demo_apheresis_service(&self, actor: &Actor) -> Result<()> {
        let today = store::now().with_timezone(&self.settings.time_zone).date_naive();
        let day = |d: i64| (today + Duration::days(d)).to_string();
        for (a, b, m) in TRAVEL {
            self.set_travel_time(actor, &TravelInput { from: a.to_string(), to: b.to_string(), minutes: *m }).await?;
        }
        for (username, name, home, days, start, end, certs) in NURSES {
            if *username != "apheresis_nurse" {
                self.create_user(
                    actor,
                    &NewUserInput {
                        username: username.to_string(),
                        display_name: name.to_string(),
                        email: format!("{username}@hemaflow.example.org"),
                        password: format!("{username}-demo-pass"),
                        roles: vec!["apheresis_nurse".into()],
                        hospital: None,
                    },
                )
                .await?;
            }
            let input = NurseInput {
                username: username.to_string(),
                name: name.to_string(),
                home_site: home.to_string(),
                weekdays: days.iter().map(|d| d.to_string()).collect(),
                day_start: start.to_string(),
                day_end: end.to_string(),
            };
            self.add_apheresis_nurse(actor, &input).await?;
            for (procedure, valid) in *certs {
                self.certify_nurse(actor, username, &CertificationInput { procedure: procedure.to_string(), expires_on: day(*valid) }).await?;
            }
        }
        // The on-call rota: each nurse a day in turn, the next two weeks.
        for d in 0..14 {
            let nurse = NURSES[d as usize % NURSES.len()].0;
            self.put_on_call(actor, &OnCallInput { nurse: nurse.into(), date: day(d) }).await?;
        }
        for (name, serial, kind, due, home) in DEVICES {
            let input = DeviceInput {
                name: name.to_string(),
                serial: serial.to_string(),
                device_type: kind.to_string(),
                maintenance_due: day(*due),
                home_site: home.to_string(),
            };
            self.add_apheresis_device(actor, &input).await?;
        }
        Ok(())
    }

    /// Today's requests, after the history, so the scheduler books them around it.
    pub(crate) async fn demo_apheresis_requests(&self, actor: &Actor) -> Result<()> {
        let today = store::now().with_timezone(&self.settings.time_zone).date_naive();
        for c in CASES {
            self.demo_case(actor, c, today).await?;
        }
        Ok(())
    }

    async fn demo_case(&self, actor: &Actor, c: &Case, today: NaiveDate) -> Result<()> {
        let input = RequestInput {
            hospital: c.hospital.into(),
            mrn: c.mrn.into(),
            patient_name: c.patient.into(),
            birth_date: c.birth.into(),
            sex: c.sex.into(),
            height_cm: c.height,
            weight_kg: c.weight,
            hematocrit: c.hct,
            hematocrit_target: c.red_cell_targets.map(|t| t.0),
            hbs_initial: c.red_cell_targets.map(|t| t.1),
            hbs_target: c.red_cell_targets.map(|t| t.2),
            ordering_physician: c.physician.into(),
            indication: c.indication.into(),
            asfa_category: c.asfa.0.into(),
            asfa_grade: c.asfa.1.into(),
            procedure: c.procedure.into(),
            treatments: c.treatments,
            every_days: c.every_days,
            urgency: c.urgency.into(),
            earliest_on: if c.urgency == "scheduled" { (today + Duration::days(c.from_day)).to_string() } else { String::new() },
            location: c.location.into(),
            vascular_access: c.access.into(),
            note: String::new(),
        };
        let r = self.submit_apheresis_request(actor, &input).await?;
        let decide = |decision: &str, note: &str| DecisionInput { decision: decision.into(), note: note.into() };
        match c.goes_to {
            "submitted" => {}
            "info_requested" => {
                self.decide_apheresis_request(
                    actor,
                    &r.number,
                    &decide("ask", "Please send the latest creatinine and whether the patient is on ACE inhibitors."),
                )
                .await?;
            }
            "rejected" => {
                self.decide_apheresis_request(
                    actor,
                    &r.number,
                    &decide("reject", "ASFA category IV: plasma exchange is not effective in ALS; discussed with the ordering physician."),
                )
                .await?;
            }
            "cancelled" => {
                self.decide_apheresis_request(actor, &r.number, &decide("accept", "")).await?;
                self.cancel_apheresis_request(
                    actor,
                    &r.number,
                    &NoteInput { note: "White cell count fell with hydroxyurea; no longer needed.".into() },
                )
                .await?;
            }
            "accepted" => {
                self.decide_apheresis_request(actor, &r.number, &decide("accept", "")).await?;
            }
            _ => {
                self.decide_apheresis_request(actor, &r.number, &decide("accept", "")).await?;
                // A series that finds no room (a demo made on an odd day) stays accepted
                // rather than stopping the demo.
                if let Err(e) = self.schedule_apheresis_request(actor, &r.number, &ScheduleInput::default()).await {
                    tracing::warn!(request = %r.number, error = %e, "demo apheresis series left unscheduled");
                }
            }
        }
        Ok(())
    }
}
