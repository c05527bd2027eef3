//! Processing a batch of scanned units, one transaction per unit.

use super::{ComponentView, ModificationInput, UnitRef};
use crate::{Actor, App, AppError, Result};
use domain::component::Modification;
use domain::{FieldError, Permission};
use serde::Serialize;

/// Reads one scanned or typed line naming a unit: its DIN and product code, as ISBT 128
/// data (`=A99982600063700 =<E0398V00`), as text (`A999826000637 E0398V00`) or with the
/// DIN's check character. The other barcodes of a label scanned along (ABO/RhD `=%`,
/// expiry `=>`/`&>`, collection date `=*`/`&*`, special testing `&(`) are passed over.
pub fn parse_unit_line(line: &str) -> std::result::Result<UnitRef, String> {
    let other_label_data = |t: &&str| {
        let mut c = t.chars();
        matches!((c.next(), c.next()), (Some('=' | '&'), Some(x)) if !x.is_ascii_alphanumeric() && x != '<')
    };
    let tokens: Vec<&str> = line.split_whitespace().filter(|t| !other_label_data(t)).collect();
    let code = tokens
        .iter()
        .rev()
        .find_map(|t| {
            let c = t.strip_prefix("=<").unwrap_or(t);
            (c.len() == 8).then(|| isbt128::ProductCode::parse_content(c).ok().map(|p| p.content())).flatten()
        })
        .ok_or_else(|| format!("'{}': no product code (e.g. E0398V00 or =<E0398V00)", line.trim()))?;
    let rest: Vec<&str> = tokens.iter().copied().filter(|t| t.strip_prefix("=<").unwrap_or(t) != code).collect();
    let din = domain::labeling::parse_din("din", &rest.join(" ")).map_err(|e| format!("'{}': {}", line.trim(), e.message))?;
    Ok(UnitRef { din: din.din().to_string(), product_code: code })
}

/// One line of a processing batch and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchLine {
    pub line: String,
    pub unit: Option<UnitRef>,
    pub ok: bool,
    /// What was made, or why nothing was.
    pub outcome: String,
    pub made: Vec<ComponentView>,
}

impl App {
    /// Applies one step to each scanned unit, each in its own transaction: one unit's
    /// refusal never touches another, and a unit scanned twice is done once. `pool`
    /// pools all the units into one instead.
    pub async fn process_batch(&self, actor: &Actor, lines: &str, step: &str, at: &str) -> Result<Vec<BatchLine>> {
        actor.require(Permission::ManufactureComponents)?;
        let step = step.trim();
        if step != "pool" && !step.starts_with("split_") {
            Modification::parse(step).map_err(|m| AppError::from(FieldError::new("step", m)))?;
        }
        let mut out: Vec<BatchLine> = Vec::new();
        let mut seen: Vec<UnitRef> = Vec::new();
        for raw in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut line = BatchLine { line: raw.to_string(), unit: None, ok: false, outcome: String::new(), made: vec![] };
            match parse_unit_line(raw) {
                Err(m) => line.outcome = m,
                Ok(u) if seen.contains(&u) => line.outcome = format!("{} {} was scanned twice; it is processed once", u.din, u.product_code),
                Ok(u) => {
                    seen.push(u.clone());
                    line.unit = Some(u);
                }
            }
            out.push(line);
        }
        if out.is_empty() {
            return Err(FieldError::new("units", "scan or type at least one unit").into());
        }
        if step == "pool" {
            let units: Vec<UnitRef> = out.iter().filter_map(|l| l.unit.clone()).collect();
            let result = self.pool_components(actor, &units).await;
            for l in out.iter_mut().filter(|l| l.unit.is_some()) {
                match &result {
                    Ok(p) => {
                        l.ok = true;
                        l.outcome = format!("pooled into {} {}", p.din, p.product_code);
                        l.made = vec![p.clone()];
                    }
                    Err(e) => l.outcome = format!("not pooled: {e}"),
                }
            }
            return Ok(out);
        }
        for l in out.iter_mut() {
            let Some(u) = l.unit.clone() else { continue };
            let result = match step.strip_prefix("split_") {
                Some(n) => match n.parse::<usize>() {
                    Ok(parts) => self.split_component(actor, &u.din, &u.product_code, parts).await,
                    Err(_) => Err(FieldError::new("step", format!("'{step}' is not a split")).into()),
                },
                None => {
                    self.modify_component(actor, &u.din, &u.product_code, &ModificationInput { step: step.to_string(), at: at.to_string() }).await
                }
            };
            match result {
                Ok(made) => {
                    l.ok = true;
                    l.outcome = format!("made {}", made.iter().map(|m| format!("{} {}", m.product_code, m.product)).collect::<Vec<_>>().join(", "));
                    l.made = made;
                }
                Err(AppError::Invalid(e)) => l.outcome = e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
                Err(e @ (AppError::Conflict(_) | AppError::NotFound(_))) => l.outcome = e.to_string(),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_and_typed_lines_name_the_same_unit() {
        let want = UnitRef { din: "A999826000637".into(), product_code: "E0398V00".into() };
        for line in [
            "=A99982600063700 =<E0398V00",
            "A999826000637 E0398V00",
            "  =<E0398V00   =A99982600063700 ",
            "=A99982600063700 =<E0398V00 =%9500 &>0263652359",
        ] {
            assert_eq!(parse_unit_line(line).as_ref(), Ok(&want), "{line}");
        }
        assert!(parse_unit_line("A999826000637").unwrap_err().contains("no product code"));
        assert!(parse_unit_line("A99982600063 E0398V00").is_err());
    }
}
