//! User identity values: the login name and a password that meets the policy.

use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// A login name: 3–64 characters of lower-case letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if !(3..=64).contains(&s.len()) {
            return Err(FieldError::new("username", "must be 3 to 64 characters long"));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c))) {
            return Err(FieldError::new("username", format!("'{c}' is not allowed; use lower-case letters, digits, '.', '_' or '-'")));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the policy. Never printed by `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        if s.chars().count() < Self::MIN_LEN {
            return Err(FieldError::new("password", format!("must be at least {} characters long", Self::MIN_LEN)));
        }
        if s.chars().count() > 256 {
            return Err(FieldError::new("password", "must be at most 256 characters long"));
        }
        if s.trim() != s {
            return Err(FieldError::new("password", "must not start or end with spaces"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        assert_eq!(Username::parse(" lab.tech ").unwrap().as_str(), "lab.tech");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("Admin").is_err());
        assert!(Username::parse("a b c").is_err());
    }

    #[test]
    fn password_policy_and_debug_redaction() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(" leading-space-pw").is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
