//! Settings are declared once, in the clap structs of `main.rs`, each with its flag,
//! its `HEMAFLOW_…` environment variable and its default. An optional TOML config
//! file (`--config FILE` or `HEMAFLOW_CONFIG`) fills in environment variables that
//! are not already set, so the order of precedence is: flag, environment, file, default.

use anyhow::{bail, Context};
use std::collections::BTreeMap;

/// Every setting the command line declares: long flag name → environment variable.
fn declared(cmd: &clap::Command, out: &mut BTreeMap<String, String>) {
    for a in cmd.get_arguments() {
        if let (Some(long), Some(env)) = (a.get_long(), a.get_env()) {
            if long != "config" {
                out.insert(long.to_string(), env.to_string_lossy().into_owned());
            }
        }
    }
    for sub in cmd.get_subcommands() {
        declared(sub, out);
    }
}

fn config_path(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(v.to_string());
        }
    }
    std::env::var("HEMAFLOW_CONFIG").ok()
}

/// Reads the config file, if one is named, into the process environment.
pub fn apply_config_file(cmd: &clap::Command, args: &[String]) -> anyhow::Result<Option<String>> {
    let Some(path) = config_path(args) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading config file {path}"))?;
    let table: toml::Table = text.parse().with_context(|| format!("config file {path} is not valid TOML"))?;
    let mut known = BTreeMap::new();
    declared(cmd, &mut known);
    for (key, value) in table {
        let Some(env) = known.get(&key.replace('_', "-")).cloned() else {
            bail!("config file {path}: unknown setting '{key}' (settings: {})", known.keys().cloned().collect::<Vec<_>>().join(", "));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => bail!("config file {path}: setting '{key}' must be a string, number or boolean, not {other}"),
        };
        if std::env::var_os(&env).is_none() {
            // Single-threaded here: no other thread reads the environment yet.
            unsafe { std::env::set_var(&env, value) };
        }
    }
    Ok(Some(path))
}
