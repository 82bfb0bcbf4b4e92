//! Partial updates: a field left out of a PATCH keeps its value; `null` clears it where
//! clearing is allowed. Forms send every field, so they behave as before.

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent stays `None` (unchanged),
/// `null` becomes `Some(None)` (clear), a value `Some(Some(v))`. Serde alone reads both
/// absent and `null` as `None`.
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The text to store for a clearable text field: `None` keeps `current`; `null` and the empty
/// string clear it.
pub fn clearable(value: &Option<Option<String>>, current: Option<&str>) -> Option<String> {
    match value {
        None => current.map(str::to_string),
        Some(None) => None,
        Some(Some(s)) if s.trim().is_empty() => None,
        Some(Some(s)) => Some(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct T {
        #[serde(deserialize_with = "double_option")]
        at: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        assert_eq!(serde_json::from_str::<T>("{}").unwrap().at, None);
        assert_eq!(serde_json::from_str::<T>(r#"{"at":null}"#).unwrap().at, Some(None));
        assert_eq!(serde_json::from_str::<T>(r#"{"at":"x"}"#).unwrap().at, Some(Some("x".into())));
        let form: T = serde_urlencoded::from_str("at=").unwrap();
        assert_eq!(clearable(&form.at, Some("old")), None);
        let none: T = serde_urlencoded::from_str("").unwrap();
        assert_eq!(clearable(&none.at, Some("old")), Some("old".into()));
    }
}
