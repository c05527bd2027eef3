//! Containers and supplies: manufacturer and catalog numbers.

#[allow(unused_imports)]
use super::prelude::*;

/// Container Manufacturer and Catalog Number (Data Structure 017, `=)bqqwwwwwww`).
///
/// ```
/// let c = isbt128::ContainerCatalog::parse("=)2XX00AB123")?;
/// assert_eq!((c.container(), c.manufacturer(), c.catalog()), ('2', "XX", "00AB123"));
/// # Ok::<(), isbt128::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ContainerCatalog(String);

impl ContainerCatalog {
    /// Reads the 10 content characters.
    pub fn parse_content(content: &str) -> Result<ContainerCatalog, Error> {
        let text = Text::exact("container manufacturer and catalog number", content, 10)?;
        text.take(0, 1, Class::Alnum)?;
        text.take(1, 2, Class::UpperDigit)?;
        text.take(3, 7, Class::Alnum)?;
        Ok(ContainerCatalog(content.to_owned()))
    }

    /// The 10 content characters.
    pub fn content(&self) -> String {
        self.0.clone()
    }

    /// The container identification character (`1` primary, `y` whole set, `z` carton).
    pub fn container(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// The manufacturer identifier (ICCBBA table RT016).
    pub fn manufacturer(&self) -> &str {
        &self.0[1..3]
    }

    /// The manufacturer's catalog number.
    pub fn catalog(&self) -> &str {
        &self.0[3..]
    }
}

crate::structure::impl_structure!(ContainerCatalog, ContainerCatalog);

/// Manufacturer and Catalog Number: Items Other Than Containers (Data Structure 021,
/// `=-NNOOOOOOOO`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ItemCatalog(String);

impl ItemCatalog {
    /// Reads the 10 content characters.
    pub fn parse_content(content: &str) -> Result<ItemCatalog, Error> {
        let text = Text::exact("item manufacturer and catalog number", content, 10)?;
        text.take(0, 2, Class::UpperDigit)?;
        text.take(2, 8, Class::Alnum)?;
        Ok(ItemCatalog(content.to_owned()))
    }

    /// The 10 content characters.
    pub fn content(&self) -> String {
        self.0.clone()
    }

    /// The manufacturer identifier (ICCBBA table RT016).
    pub fn manufacturer(&self) -> &str {
        &self.0[..2]
    }

    /// The manufacturer's catalog number.
    pub fn catalog(&self) -> &str {
        &self.0[2..]
    }
}

crate::structure::impl_structure!(ItemCatalog, ItemCatalog);
