/// An email address that passed the checks a person would expect: one `@`, something on both
/// sides, a dot in the domain, no spaces. Stored lower-cased so duplicates are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("the email address is missing".into());
        }
        let invalid = || format!("{s:?} is not a valid email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(EmailAddress(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases() {
        assert_eq!(EmailAddress::parse(" Ann.Lee@NHS.net ").unwrap().as_str(), "ann.lee@nhs.net");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "ann", "ann@", "@nhs.net", "ann@nhs", "a b@nhs.net", "a@b@c.net", "a@.net"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
