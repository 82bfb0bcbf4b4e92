//! JSON kept in a text column, read and written as its Rust type.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A value stored as JSON text. Data that does not fit `T` fails the load of its row, never
/// turning into a default (an empty group list would show a group's stage to everyone; an empty
/// opt-out list would email those who said no).
///
/// The text is kept beside the value: diesel binds a borrowed string on every backend, and the
/// value cannot change without being written out again through [`JsonText::new`].
#[derive(Debug, Clone, PartialEq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct JsonText<T> {
    value: T,
    text: String,
}

impl<T: Serialize> JsonText<T> {
    pub fn new(value: T) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(&value)?;
        Ok(JsonText { value, text })
    }
}

impl<T> JsonText<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn into_inner(self) -> T {
        self.value
    }

    /// The JSON as stored.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl<T> std::ops::Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned> JsonText<T> {
    /// Reads stored JSON text; an error names what did not fit.
    pub fn parse(text: String) -> Result<Self, String> {
        match serde_json::from_str(&text) {
            Ok(value) => Ok(JsonText { value, text }),
            Err(e) => Err(format!("a JSON column holds data that is not a {}: {e}", std::any::type_name::<T>())),
        }
    }
}

impl<T, DB> ToSql<Text, DB> for JsonText<T>
where
    T: std::fmt::Debug,
    DB: Backend,
    String: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.text.to_sql(out)
    }
}

impl<T, DB> FromSql<Text, DB> for JsonText<T>
where
    T: DeserializeOwned,
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Self::parse(String::from_sql(bytes)?).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_value_and_text_together() {
        let j = JsonText::new(vec!["a".to_string()]).unwrap();
        assert_eq!(j.text(), r#"["a"]"#);
        assert_eq!(j.get(), &vec!["a".to_string()]);
    }

    #[test]
    fn data_that_does_not_fit_is_an_error() {
        let e = JsonText::<Vec<String>>::parse(r#"{"not": "a list"}"#.into()).unwrap_err();
        assert!(e.contains("Vec<alloc::string::String>"), "{e}");
        assert!(JsonText::<Vec<String>>::parse("".into()).is_err());
    }
}
