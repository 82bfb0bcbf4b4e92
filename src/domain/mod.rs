//! Types and rules of a staged bulletin board. Nothing here touches a database or the network.

/// Generates `as_str`, `parse`, `label` (the name people read) and `ALL` for an enum stored as
/// text (`Variant = "stored" / "Label"`), and its diesel mapping to a
/// `Text` column on any backend: a stored value the code does not know fails the load of its
/// row, never turning into a default (a wrong default in a permission rule would show what it
/// should not).
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::parse(&text).map_err(|e| format!("stored {}: {e}", stringify!($name)).into())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// How the value is named for people, on pages and in exports.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use text_enum;

pub mod attributes;
pub mod codebook;
pub mod email;
pub mod email_texts;
pub mod ids;
pub mod images;
pub mod inbound;
pub mod labels;
pub mod markdown;
pub mod participants_csv;
pub mod patch;
pub mod polls;
pub mod redaction;
pub mod refi_qda;
pub mod rich_text;
pub mod roles;
pub mod schedule;
pub mod screen_names;
pub mod spreadsheet;
pub mod threads;
pub mod throttle;
pub mod timezone;
pub mod tokens;
pub mod visibility;
