//! Donor eligibility: for one donor, one procedure and one date, eligible or not,
//! every reason (code, message, regulatory source) and the next date the donor can give.
//!
//! The numbers are data ([`RuleSet`], versioned with `effective_from`, loaded from
//! JSON; the reviewed defaults are `rules/eligibility-v1.json`, numbers and
//! citations from reference/domain-rules.md §1). The kinds of check are code
//! ([`Check`]). [`evaluate`] picks the version in force on the case date;
//! [`Evidence`] runs each rule's own cases and writes the validation report.
//!
//! ```
//! use domain::eligibility::{evaluate, EligibilityCase, RuleBook};
//! let case = EligibilityCase::from_json(r#"{
//!     "date": "2026-03-02", "procedure": "whole_blood",
//!     "donor": {"sex": "F", "birth_date": "1990-05-17", "weight_kg": 61},
//!     "screening": {"hemoglobin_g_dl": 12.4, "pulse_bpm": 70, "bp_systolic": 118, "bp_diastolic": 76, "temperature_c": 36.6}
//! }"#).unwrap();
//! let d = evaluate(&RuleBook::defaults(), &case).unwrap();
//! assert!(!d.eligible);
//! assert_eq!(d.reasons[0].code, "HB_FEMALE");
//! assert_eq!(d.next_eligible_date.unwrap().to_string(), "2026-03-03");
//! ```
//!
//! # Decisions the engine makes
//!
//! - **Input errors are not decisions.** Unknown keys or values, a missing required
//!   field, an impossible measurement, a date after the donation date (birth, past
//!   donation, last dose, event), a birth date giving an age over 120 years, a
//!   diastolic pressure not below the systolic, a medication not on the version's
//!   list or an event kind the version has no rule for: each is a [`CaseError`]
//!   naming the field. A possible value outside a rule's limits is a reason.
//! - **Impossible measurements** (outside these, the entry is refused):
//!   hemoglobin 3–25 g/dL, hematocrit 10–75 %, pulse 20–250 bpm (whole numbers),
//!   systolic 50–300 mmHg, diastolic 20–200 mmHg (whole numbers), temperature
//!   30–45 °C, weight 20–350 kg, height 100–250 cm. The limits are wide on purpose:
//!   a very ill person can reach them, no mistyped entry should. Typical slips get
//!   a hint (hemoglobin in g/L, hematocrit as a fraction, °F, lb, metres).
//! - **Missing measurements.** Every physical value a rule needs is required
//!   (21 CFR 630.10(f)); an absent one gives the reason `<CODE>_NOT_MEASURED`
//!   (ineligible), which clears the same day once measured, so alone it gives
//!   `next_eligible_date` = the case date. Hemoglobin or hematocrit: either one
//!   suffices; when both are given, meeting either minimum passes (the
//!   regulation's "or"). Height is only needed where a rule uses it (double red cells).
//! - **Next eligible date.** The case date when eligible. Otherwise the latest
//!   clearing date of all reasons, or `null` if any reason never clears
//!   (indefinite or permanent register entry, permanent medication or event).
//!   Intervals, frequency windows, event and medication deferrals clear on the day
//!   their period has passed; a temporary register entry clears on its `until`
//!   date (the first day the donor may give again). A physical value out of range
//!   today (temperature, blood pressure, pulse, hemoglobin, weight, height) clears
//!   the **next day**: the donor may be re-screened then. The minimum age clears on
//!   the birthday.
//! - **Calendar arithmetic.** Weeks are 7 days; months and years are calendar
//!   months (a period ending on a day the month lacks ends on its last day, so
//!   29 February + 1 year = 28 February). A period from day D has passed on D + period.
//! - **Frequency windows.** A limit of N in a window W counts today's donation and
//!   every past donation of the counted procedures whose window (from its date)
//!   has not passed; it fails if that exceeds N, and clears when the N-th most
//!   recent past donation leaves the window.
//! - **Physician determinations** (blood pressure or pulse outside limits, exceptional
//!   medical need, the 12.0–12.5 g/dL female procedure, devices with <100 mL
//!   extracorporeal volume) are not inputs: the rule fails and its message says
//!   what the regulation allows.
//! - **Dates are days.** The case has no times; a deferral "2 days" from a dose on
//!   Monday ends on Wednesday.
//!
//! What each rule encodes and why is in the rule file (`note` fields) and the
//! validation report (`hemaflow rules report`).

mod case;
pub(crate) use case::from_json_text as json_at_path;
mod change;
mod evaluate;
mod evidence;
mod rules;

pub use case::{
    CaseError, DeferralEntry, DeferralKind, Diastolic, DonorFacts, EligibilityCase, Event, EventKind, Height, Hematocrit, Hemoglobin, MedicationDose,
    PastDonation, Pulse, Screening, Systolic, Temperature, Weight, MAX_AGE_YEARS,
};
pub use change::{apply_numbers, boundary_cases, lookup, number_fields, propose_change, NumberField, NumberKind, Proposal, RuleChange, PERIOD_UNITS};
pub use evaluate::{evaluate, Decision, Reason};
pub use evidence::{describe, merge_patch, CaseRun, Evidence, RuleEvidence};
pub use rules::{
    Check, Confidence, Expect, Measure, Medication, Period, Rule, RuleBook, RuleCase, RuleError, RuleSet, RuleSetSpec, DEFAULT_RULES_JSON,
};
