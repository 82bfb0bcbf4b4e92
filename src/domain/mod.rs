//! Types and rules of a staged bulletin board. Nothing here touches a database or the network.

/// Generates `as_str`, `parse` and `ALL` for an enum stored as text.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// A value read back from the database: one the code does not know is an error,
            /// never a default (a wrong default in a permission rule would show what it should not).
            pub fn from_stored(s: &str) -> anyhow::Result<Self> {
                Self::parse(s).map_err(|e| anyhow::anyhow!("stored {}: {e}", stringify!($name)))
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

pub mod codebook;
pub mod email;
pub mod images;
pub mod markdown;
pub mod participants_csv;
pub mod patch;
pub mod polls;
pub mod redaction;
pub mod roles;
pub mod screen_names;
pub mod spreadsheet;
pub mod throttle;
pub mod timezone;
pub mod tokens;
pub mod visibility;
