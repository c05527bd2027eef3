//! Processing facility and processor product identification.

#[allow(unused_imports)]
use super::prelude::*;

/// Processing Facility Information Code (Data Structure 033, `&+nnnnnpppppp`): the FIN
/// of the facility that assigned the product code, and its own product code (FPC).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProcessingFacility {
    fin: Fin,
    fpc: String,
}

impl ProcessingFacility {
    /// Reads the 11 content characters.
    pub fn parse_content(content: &str) -> Result<ProcessingFacility, Error> {
        let text = Text::exact("processing facility information code", content, 11)?;
        let fin = Fin::read(&text, 0)?;
        let fpc = text.take(5, 6, Class::UpperDigit)?.to_owned();
        Ok(ProcessingFacility { fin, fpc })
    }

    /// The 11 content characters.
    pub fn content(&self) -> String {
        format!("{}{}", self.fin, self.fpc)
    }

    /// FIN(P), the facility that assigned the product code.
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The facility-defined product code (`000000` if none).
    pub fn facility_product_code(&self) -> &str {
        &self.fpc
    }
}

crate::structure::impl_structure!(ProcessingFacility, ProcessingFacility);

/// Processor Product Identification Code (Data Structure 034, `=/nnnnnppppppqqqqq`):
/// FIN(P), facility-defined product code, and a PDC.
///
/// ```
/// let p = isbt128::ProcessorProductId::parse("=/A9997XYZ100T0479")?;
/// assert_eq!((p.fin().as_str(), p.facility_product_code(), p.pdc().as_str()), ("A9997", "XYZ100", "T0479"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProcessorProductId {
    fin: Fin,
    fpc: String,
    pdc: Pdc,
}

impl ProcessorProductId {
    /// Reads the 16 content characters.
    pub fn parse_content(content: &str) -> Result<ProcessorProductId, Error> {
        let text = Text::exact("processor product identification code", content, 16)?;
        let fin = Fin::read(&text, 0)?;
        let fpc = text.take(5, 6, Class::UpperDigit)?.to_owned();
        let pdc = Pdc::read(&text, 11)?;
        Ok(ProcessorProductId { fin, fpc, pdc })
    }

    /// The 16 content characters.
    pub fn content(&self) -> String {
        format!("{}{}{}", self.fin, self.fpc, self.pdc)
    }

    /// FIN(P).
    pub fn fin(&self) -> Fin {
        self.fin
    }

    /// The facility-defined product code.
    pub fn facility_product_code(&self) -> &str {
        &self.fpc
    }

    /// The Product Description Code.
    pub fn pdc(&self) -> Pdc {
        self.pdc
    }
}

crate::structure::impl_structure!(ProcessorProductId, ProcessorProductId);
