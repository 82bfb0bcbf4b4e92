//! One type per kind of id, so that a participant's id cannot be passed where a question's is
//! expected. Each is text (a UUID) in the database and a plain string in JSON and URLs.

macro_rules! id_types {
    ($($(#[$m:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize, diesel_derive_newtype::DieselNewType, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new id: a UUID v7, so that ids sort by creation time.
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Reads as text wherever text is wanted (formatting, comparing with a path segment);
        /// functions that take an id take its own type, so ids still cannot be swapped.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&$name> for $name {
            fn eq(&self, other: &&$name) -> bool {
                self.0 == other.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )+};
}

id_types!(
    /// A board: one consultation.
    BoardId,
    /// A stage of a board.
    StageId,
    /// A question of a stage.
    QuestionId,
    /// An answer, a reply or a probe.
    PostId,
    /// A participant of one board.
    ParticipantId,
    /// A staff account.
    UserId,
    /// A moderator's summary of a stage.
    SummaryId,
    /// An image of a question, post, stage or summary.
    ImageId,
    /// A code of a board's codebook.
    CodeId,
    /// A coded selection of a reply.
    ExcerptId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_strings_in_json() {
        let id = QuestionId::from("q1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""q1""#);
        let back: QuestionId = serde_json::from_str(r#""q1""#).unwrap();
        assert_eq!(back, id);
        assert_eq!(back.to_string(), "q1");
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(PostId::generate(), PostId::generate());
    }
}
