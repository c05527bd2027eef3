//! Roles people hold and the permissions each role grants.
//!
//! The table in [`Role::permissions`] is the single place that says who may do what;
//! the web layer asks it for every route and the use cases ask it again before writing.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Recruiter,
    Collector,
    Lab,
    Distribution,
    Apheresis,
    /// A nurse sent to hospitals with a device; sees their own calendar and procedures.
    ApheresisNurse,
    Sales,
    Quality,
    /// The physician (medical director) who signs emergency releases.
    Physician,
    /// A user of one hospital account (the portal); sees only that hospital's data.
    Hospital,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ManageUsers,
    ManageSites,
    ManageHospitals,
    ViewSites,
    /// Every hospital account.
    ViewHospitals,
    /// Only the hospital account the user belongs to.
    ViewOwnHospital,
    ViewAudit,
    /// Hand out DINs at collection and record pre-printed DIN labels used.
    AssignDins,
    /// Record a donation collected from a screened donor (phlebotomy staff).
    CollectDonations,
    /// Register sets of pre-printed DIN labels.
    ManageDinLabelSets,
    /// Render and verify unit labels.
    PrintLabels,
    /// Make components from donations and modify them (separation, irradiation, …).
    ManufactureComponents,
    /// Bring existing donor and donation records in from files.
    ImportRecords,
    /// Ask the eligibility engine for a decision on a case.
    EvaluateEligibility,
    /// Find donors and see their records.
    ViewDonors,
    /// Enter donors in the deferred-donor register.
    DeferDonors,
    /// Reenter indefinitely deferred donors.
    ReenterDonors,
    /// Register new donors and change their details (each change a new version).
    RegisterDonors,
    /// Screen donors: questionnaire, measurements and the eligibility decision.
    ScreenDonors,
    /// Store new versions of the eligibility rules and the donor questionnaire.
    ManageEligibilityRules,
    /// Merge a duplicate donor record into the surviving one.
    MergeDonors,
    /// Record blood group determinations and special attributes (antigens, CMV, HbS, IgA, HLA).
    RecordTyping,
    /// State the correct blood group when determinations disagree (clears the discrepancy).
    ResolveBloodGroups,
    /// See segments, return propensity scores, campaigns and collection needs.
    ViewRecruitment,
    /// Create and edit segments, campaigns and collection targets; record call outcomes.
    ManageRecruitment,
    /// Set opening hours, capacity and mobile drive sessions of sites.
    ManageSchedules,
    /// Book, cancel and record attendance of donor appointments; send booking links.
    BookAppointments,
    /// Enter donation test results by hand or from an instrument file.
    RecordTestResults,
    /// Release units through the release gate, with an electronic signature.
    ReleaseComponents,
    /// Co-sign, as the physician, the release of a unit before its testing is complete.
    SignEmergencyRelease,
    /// See stock, storage locations and excursions.
    ViewInventory,
    /// Add storage locations (refrigerators, freezers, agitators).
    ManageStorage,
    /// Put units away and move them between locations, scanned.
    MoveUnits,
    /// Record temperature excursions (the units they touched go on hold).
    RecordExcursions,
    /// Discard a unit the centre holds, with the reason.
    DiscardUnits,
    /// Record that a donor was told of a result that defers them.
    NotifyDonors,
    /// Record, investigate, report and close biological product deviations.
    ManageDeviations,
    /// Enter quality control results of a unit (pH, platelet content, residual white cells).
    RecordQc,
    /// Lift a hold on a unit after review, with an electronic signature.
    LiftHolds,
    /// Place orders: a hospital user for their own hospital, distribution staff for any
    /// hospital (a phone call).
    PlaceOrders,
    /// See every hospital's orders and shipments (staff).
    ViewOrders,
    /// Reserve units for orders, proposed or picked by hand; cancel orders.
    AllocateOrders,
    /// Pack reserved units by scan and ship them.
    ShipOrders,
    /// Confirm that a shipment arrived (the hospital).
    ReceiveShipments,
    /// Take units back from a hospital and inspect them.
    HandleReturns,
    /// Report what became of a unit received: transfused, wasted, expired (the hospital).
    ReportDispositions,
    /// Send a shortage notice to every hospital.
    SendShortageNotices,
    /// Set up and end hospitals' standing orders (par levels on a schedule).
    ManageStandingOrders,
    /// Add hospital contracts with their price lists.
    ManageContracts,
    /// See every hospital's contracts (staff).
    ViewContracts,
    /// Issue invoices and credit notes, record payments.
    ManageInvoices,
    /// See every hospital's invoices (staff).
    ViewInvoices,
    /// Work out a therapeutic apheresis plan: blood and plasma volumes, the exchange.
    PlanApheresis,
    /// Ask for a course of therapeutic apheresis: a hospital user for their own hospital,
    /// the coordinator for any (a phone call).
    RequestApheresis,
    /// See apheresis requests with their patients, the calendars and the procedures
    /// (apheresis staff; a nurse sees their own).
    ViewApheresis,
    /// Accept, reject and schedule requests; keep nurses, devices, travel times and the
    /// on-call rota.
    ManageApheresis,
    /// Keep and sign the record of a procedure at the bedside (the nurse booked).
    RecordProcedures,
    /// Add the physician's note to a signed procedure record.
    ReviewProcedures,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Admin,
        Role::Recruiter,
        Role::Collector,
        Role::Lab,
        Role::Distribution,
        Role::Apheresis,
        Role::ApheresisNurse,
        Role::Sales,
        Role::Quality,
        Role::Physician,
        Role::Hospital,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
            Role::Collector => "collector",
            Role::Lab => "lab",
            Role::Distribution => "distribution",
            Role::Apheresis => "apheresis",
            Role::ApheresisNurse => "apheresis_nurse",
            Role::Sales => "sales",
            Role::Quality => "quality",
            Role::Physician => "physician",
            Role::Hospital => "hospital",
        }
    }

    /// What a person in this role is called on screen.
    pub fn title(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Recruiter => "Donor recruiter",
            Role::Collector => "Collection staff",
            Role::Lab => "Laboratory",
            Role::Distribution => "Distribution",
            Role::Apheresis => "Apheresis coordinator",
            Role::ApheresisNurse => "Apheresis nurse",
            Role::Sales => "Sales / account manager",
            Role::Quality => "Quality",
            Role::Physician => "Physician / medical director",
            Role::Hospital => "Hospital user",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            // Separation of duties: the administrator runs the system (users, roles, tokens,
            // sites, hospitals, imports) but makes no clinical
            // decision (screening, collection, deferral or reentry, typing or group
            // resolution, merges, rule versions, label printing) unless also given a
            // clinical role.
            Role::Admin => &[
                ManageUsers,
                ManageSites,
                ManageHospitals,
                ViewSites,
                ViewHospitals,
                ViewAudit,
                ImportRecords,
                EvaluateEligibility,
                ViewDonors,
                RegisterDonors,
                ViewRecruitment,
                ManageRecruitment,
                ManageSchedules,
                BookAppointments,
            ],
            Role::Recruiter => &[ViewSites, EvaluateEligibility, ViewDonors, RegisterDonors, BookAppointments, ViewRecruitment, ManageRecruitment],
            Role::Collector => &[
                ViewSites,
                AssignDins,
                CollectDonations,
                EvaluateEligibility,
                ViewDonors,
                DeferDonors,
                RegisterDonors,
                ScreenDonors,
                ManageSchedules,
                BookAppointments,
            ],
            Role::Lab => &[
                ViewSites,
                AssignDins,
                ManageDinLabelSets,
                PrintLabels,
                ManufactureComponents,
                ViewDonors,
                RecordTyping,
                RecordTestResults,
                ReleaseComponents,
                ViewInventory,
                ManageStorage,
                MoveUnits,
                RecordExcursions,
                DiscardUnits,
                RecordQc,
            ],
            Role::Distribution => &[
                ViewSites,
                ViewHospitals,
                ViewInventory,
                MoveUnits,
                RecordExcursions,
                DiscardUnits,
                PlaceOrders,
                ViewOrders,
                AllocateOrders,
                ShipOrders,
                HandleReturns,
                SendShortageNotices,
                ManageStandingOrders,
                ViewContracts,
            ],
            Role::Apheresis => &[ViewSites, ViewHospitals, PlanApheresis, RequestApheresis, ViewApheresis, ManageApheresis],
            Role::ApheresisNurse => &[PlanApheresis, ViewApheresis, RecordProcedures],
            Role::Sales => &[
                ViewSites,
                ViewHospitals,
                ManageHospitals,
                ViewInventory,
                ViewOrders,
                ManageStandingOrders,
                ManageContracts,
                ViewContracts,
                ManageInvoices,
                ViewInvoices,
            ],
            Role::Quality => &[
                ViewSites,
                ViewHospitals,
                ViewAudit,
                EvaluateEligibility,
                ViewDonors,
                DeferDonors,
                ReenterDonors,
                ManageEligibilityRules,
                MergeDonors,
                RecordTyping,
                ResolveBloodGroups,
                ViewRecruitment,
                ViewInventory,
                ManageStorage,
                RecordExcursions,
                DiscardUnits,
                NotifyDonors,
                ManageDeviations,
                RecordQc,
                LiftHolds,
            ],
            Role::Physician => &[
                ViewSites,
                EvaluateEligibility,
                ViewDonors,
                SignEmergencyRelease,
                ViewInventory,
                NotifyDonors,
                PlanApheresis,
                ViewApheresis,
                ReviewProcedures,
            ],
            Role::Hospital => &[ViewOwnHospital, PlaceOrders, ReceiveShipments, ReportDispositions, RequestApheresis],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role '{0}'; roles are admin, recruiter, collector, lab, distribution, apheresis, apheresis_nurse, sales, quality, physician, hospital"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// The roles one user holds: never empty, no duplicates, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Roles(Vec<Role>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolesError {
    #[error("a user needs at least one role")]
    Empty,
    #[error("a hospital user holds only the hospital role; staff roles cannot be combined with it")]
    HospitalMixedWithStaff,
}

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<Self, RolesError> {
        let mut v: Vec<Role> = roles.into_iter().collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            return Err(RolesError::Empty);
        }
        if v.contains(&Role::Hospital) && v.len() > 1 {
            return Err(RolesError::HospitalMixedWithStaff);
        }
        Ok(Self(v))
    }

    pub fn as_slice(&self) -> &[Role] {
        &self.0
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.0.iter().any(|r| r.permissions().contains(&permission))
    }

    pub fn is_hospital(&self) -> bool {
        self.contains(Role::Hospital)
    }

    /// Comma-separated names, as stored and printed.
    pub fn joined(&self) -> String {
        self.0.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_name() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn roles_refuse_empty_and_hospital_with_staff() {
        assert_eq!(Roles::new([]), Err(RolesError::Empty));
        assert_eq!(Roles::new([Role::Hospital, Role::Lab]), Err(RolesError::HospitalMixedWithStaff));
        let r = Roles::new([Role::Quality, Role::Lab, Role::Lab]).unwrap();
        assert_eq!(r.joined(), "lab,quality");
    }

    #[test]
    fn only_admin_manages_users_and_only_quality_and_admin_see_audit() {
        for r in Role::ALL {
            let roles = Roles::new([r]).unwrap();
            assert_eq!(roles.allows(Permission::ManageUsers), r == Role::Admin);
            assert_eq!(roles.allows(Permission::ViewAudit), matches!(r, Role::Admin | Role::Quality));
        }
    }

    #[test]
    fn hospital_role_sees_only_its_own_account() {
        let h = Roles::new([Role::Hospital]).unwrap();
        assert!(h.allows(Permission::ViewOwnHospital));
        assert!(!h.allows(Permission::ViewHospitals));
        assert!(!h.allows(Permission::ViewSites));
    }
}
