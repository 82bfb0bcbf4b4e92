//! The labels people read for stored values, looked up by the enum's name (for templates).

use super::email::{DeliveryStatus, EmailKind};
use super::polls::QuestionKind;
use super::roles::{
    Anonymity, BoardRole, BoardState, ParticipantStatus, PostSource, ResponseMode, Standing, WithdrawalSource,
};

/// The label people read for a stored value of the enum named `kind` ("ResponseMode",
/// "post_first" → "Post first"); a kind or value the code does not know is an error.
pub fn label_of(kind: &str, value: &str) -> Result<&'static str, String> {
    match kind {
        "BoardRole" => BoardRole::parse(value).map(BoardRole::label),
        "ResponseMode" => ResponseMode::parse(value).map(ResponseMode::label),
        "Anonymity" => Anonymity::parse(value).map(Anonymity::label),
        "PostSource" => PostSource::parse(value).map(PostSource::label),
        "BoardState" => BoardState::parse(value).map(BoardState::label),
        "QuestionKind" => QuestionKind::parse(value).map(QuestionKind::label),
        "EmailKind" => EmailKind::parse(value).map(EmailKind::label),
        "DeliveryStatus" => DeliveryStatus::parse(value).map(DeliveryStatus::label),
        "ParticipantStatus" => ParticipantStatus::parse(value).map(ParticipantStatus::label),
        "Standing" => Standing::label_of(value),
        "WithdrawalSource" => WithdrawalSource::parse(value).map(WithdrawalSource::label),
        other => Err(format!("no labels for {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::label_of;

    #[test]
    fn stored_codes_have_labels_and_unknown_ones_are_errors() {
        assert_eq!(label_of("ResponseMode", "post_first"), Ok("Post first"));
        assert_eq!(label_of("BoardRole", "co_moderator"), Ok("Co-moderator"));
        assert_eq!(label_of("Standing", "administrator"), Ok("Administrator"));
        assert!(label_of("BoardRole", "owner").is_err());
        assert!(label_of("Colour", "red").is_err());
    }
}
