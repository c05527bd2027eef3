//! Coded structures read as fixed-width content: special testing, antigen profiles,
//! lots, divisions, MPHO identifiers and SEC.

#[allow(unused_imports)]
use super::prelude::*;

code_structure!(
    /// Special Testing: General (Data Structure 010, `&(zzzzz`): a code from ICCBBA's
    /// licensed Special Testing table (see [`crate::SpecialTestingTable`]).
    ///
    /// ```
    /// let st = isbt128::SpecialTesting::parse("&(N0001")?;
    /// assert_eq!(st.as_str(), "N0001");
    /// # Ok::<(), isbt128::Error>(())
    /// ```
    SpecialTesting,
    SpecialTesting,
    "special testing code",
    5,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens (Data Structure 011, `={`, **retired**):
    /// 16 antigen digits and 2 more, kept as read.
    RbcAntigensRetired,
    RbcAntigensRetired,
    "red blood cell antigens (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens — General (Data Structure 012, `=\`):
    /// 16 antigen digits (`aaaa…`) and 2 (`ii`), per ST-001 Tables 9 and 12 (kept as read).
    RbcAntigens,
    RbcAntigens,
    "red blood cell antigens",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Red Blood Cell Antigens — Finnish (Data Structure 013, `&\`).
    RbcAntigensFinnish,
    RbcAntigensFinnish,
    "red blood cell antigens (Finnish)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: Platelet HLA and Platelet Specific Antigens (Data Structure 014,
    /// `&{AAAABBBBCCCCCCCCDE`); `D` is reserved and must be `0`.
    PlateletAntigens,
    PlateletAntigens,
    "platelet HLA and platelet specific antigens",
    18,
    Class::Digit,
    |text: &Text<'_>| {
        let d = text.take(16, 1, Class::Digit)?;
        if d != "0" {
            return Err(Error::Reserved { field: "character 17 (D) of platelet antigens", expected: "0", found: d.to_owned() });
        }
        Ok(())
    }
);
code_structure!(
    /// Special Testing: HLA-A and -B Alleles (Data Structure 015, `=[`, **retired**).
    HlaAbRetired,
    HlaAbRetired,
    "HLA-A and -B alleles (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Special Testing: HLA-DRB1 Alleles (Data Structure 016, `="`, **retired**).
    HlaDrb1Retired,
    HlaDrb1Retired,
    "HLA-DRB1 alleles (retired)",
    18,
    Class::Digit,
    no_check
);
code_structure!(
    /// Container Lot Number (Data Structure 018, `&)`): 10 letters or digits.
    ContainerLot,
    ContainerLot,
    "container lot number",
    10,
    Class::Alnum,
    no_check
);
code_structure!(
    /// Lot Number: Items Other Than Containers (Data Structure 022, `&-`).
    ItemLot,
    ItemLot,
    "item lot number",
    10,
    Class::Alnum,
    no_check
);
code_structure!(
    /// Transfusion Transmitted Infection Marker (Data Structure 027, `&"`): 18 digits, each
    /// the result status of a pair of markers (ST-001 Table 18, not interpreted here);
    /// positions 11–18 are reserved and must be `0`.
    TtiMarker,
    TtiMarker,
    "TTI marker",
    18,
    Class::Digit,
    |text: &Text<'_>| {
        let reserved = text.take(10, 8, Class::Digit)?;
        if reserved != "00000000" {
            return Err(Error::Reserved { field: "characters 11-18 of the TTI marker", expected: "00000000", found: reserved.to_owned() });
        }
        Ok(())
    }
);
code_structure!(
    /// Product Divisions (Data Structure 032, `=,dddddd`).
    ProductDivisions,
    ProductDivisions,
    "product divisions code",
    6,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// MPHO Lot Number (Data Structure 035, `&,1`).
    MphoLot,
    MphoLot,
    "MPHO lot number",
    18,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// MPHO Supplemental Identification Number (Data Structure 036, `&,2`).
    MphoSupplementalId,
    MphoSupplementalId,
    "MPHO supplemental identification number",
    18,
    Class::UpperDigit,
    no_check
);
code_structure!(
    /// Single European Code (Data Structure 038, `&,4`): the 40-character SEC (kept as read).
    Sec,
    Sec,
    "single European code",
    40,
    Class::Alnum,
    no_check
);

impl RbcAntigens {
    /// The 16 antigen digits.
    pub fn antigens(&self) -> &str {
        &self.0[..16]
    }

    /// The last two digits (`ii`).
    pub fn ii(&self) -> &str {
        &self.0[16..]
    }
}
