//! `hemaflow isbt`: the ISBT 128 codec at the command line.

use anyhow::Context;
use clap::Subcommand;
use isbt128::{DataStructure, Din, FieldValue, Flags};
use serde_json::{Map, Value};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum IsbtCommand {
    /// Print the keyboard-entry check character of a 13-character DIN.
    CheckChar {
        /// FIN + 2-digit year + 6-digit sequence, e.g. A999917123456.
        din: String,
    },
    /// Build a DIN: prints the barcode data, then the eye-readable form.
    Din {
        /// Facility identification number, e.g. A9999.
        #[arg(long)]
        fin: String,
        /// Four-digit collection year.
        #[arg(long)]
        year: u16,
        /// Sequence number within the year (1 to 999999).
        #[arg(long)]
        seq: u32,
        /// Flag characters (00 = none).
        #[arg(long, default_value = "00")]
        flags: String,
    },
    /// Decode scanned data (one or more scans); prints a JSON array, one object per structure.
    Decode {
        #[arg(required = true)]
        data: Vec<String>,
    },
}

fn to_json(v: FieldValue) -> Value {
    match v {
        FieldValue::Text(s) => Value::String(s),
        FieldValue::Number(n) => Value::from(n),
        FieldValue::Bool(b) => Value::Bool(b),
        FieldValue::Null => Value::Null,
        FieldValue::List(rows) => Value::Array(rows.into_iter().map(object).collect()),
        // FieldValue may grow; an unknown kind is shown as text rather than lost.
        #[allow(unreachable_patterns)]
        other => Value::String(format!("{other:?}")),
    }
}

fn object(fields: Vec<(&'static str, FieldValue)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), to_json(v))).collect::<Map<_, _>>())
}

/// One JSON object per decoded structure.
pub fn structure_json(s: &DataStructure) -> Value {
    object(s.fields())
}

pub fn run(cmd: IsbtCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IsbtCommand::CheckChar { din } => {
            let k = isbt128::check_character(din.trim()).with_context(|| format!("DIN '{}'", din.trim()))?;
            println!("{k}");
        }
        IsbtCommand::Din { fin, year, seq, flags } => {
            let flags = Flags::parse(&flags).context("--flags")?;
            let din = Din::new(&fin, year, seq, flags)?;
            println!("{}", din.encode());
            println!("{}", din.eye_readable());
        }
        IsbtCommand::Decode { data } => {
            let mut out = Vec::new();
            for scan in &data {
                let items = isbt128::decode(scan).with_context(|| format!("scan '{}'", scan.trim()))?;
                out.extend(items.iter().map(structure_json));
            }
            println!("{}", serde_json::to_string_pretty(&Value::Array(out))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
