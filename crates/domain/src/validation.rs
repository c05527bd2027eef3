use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// One field of an input that failed its check, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The input's field, e.g. `birth_date` or `answers.tattoo`.
    pub field: Cow<'static, str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Every field error of one input, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value if it parsed, records the error otherwise.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trims a required free-text field and bounds its length.
/// A calendar day as people and systems write it here: `YYYY-MM-DD`. The one reader of
/// dates typed into forms, API bodies, query strings and files.
pub fn parse_day(field: &'static str, s: &str) -> Result<chrono::NaiveDate, FieldError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, format!("'{}' is not a date (YYYY-MM-DD)", s.trim())))
}

pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("is longer than {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(v.to_string())
}

/// Like [`required_text`] but an empty value is `None`.
pub fn optional_text(field: &'static str, value: &str, max: usize) -> Result<Option<String>, FieldError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        required_text(field, value, max).map(Some)
    }
}

pub fn optional_email(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    let Some(v) = optional_text(field, value, 254)? else {
        return Ok(None);
    };
    let (local, host) = v.split_once('@').ok_or_else(|| FieldError::new(field, format!("'{v}' is not an email address")))?;
    if local.is_empty() || !host.contains('.') || host.starts_with('.') || host.ends_with('.') || v.contains(char::is_whitespace) {
        return Err(FieldError::new(field, format!("'{v}' is not an email address")));
    }
    Ok(Some(v))
}

pub fn optional_phone(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    let Some(v) = optional_text(field, value, 32)? else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits) {
        return Err(FieldError::new(field, format!("'{v}' is not a phone number (7 to 15 digits, with + - ( ) . or spaces)")));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_refuses_empty() {
        assert_eq!(required_text("name", "  St Mary ", 10).unwrap(), "St Mary");
        assert!(required_text("name", "   ", 10).is_err());
        assert!(required_text("name", "12345678901", 10).is_err());
        assert!(required_text("name", "a\u{7}b", 10).is_err());
    }

    #[test]
    fn email_and_phone_checks() {
        assert_eq!(optional_email("email", "").unwrap(), None);
        assert!(optional_email("email", "bloodbank@stmary.org").unwrap().is_some());
        assert!(optional_email("email", "bloodbank.stmary.org").is_err());
        assert!(optional_email("email", "a@b").is_err());
        assert!(optional_phone("phone", "+1 (555) 010-2000").unwrap().is_some());
        assert!(optional_phone("phone", "call me").is_err());
        assert!(optional_phone("phone", "123").is_err());
    }
}
