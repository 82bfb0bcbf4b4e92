//! The rules of what a participant may read and when they may write. Moderators, observers and
//! analysts read everything; these rules are for participants.

use super::roles::{BoardState, ResponseMode};
use time::PrimitiveDateTime;

/// Which replies of a question a participant may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyScope {
    /// Every thread of the question.
    All,
    /// Only threads the participant started (their own answers and the replies under them).
    OwnThreads,
}

pub fn participant_scope(mode: ResponseMode, has_answered: bool) -> ReplyScope {
    match mode {
        ResponseMode::Open => ReplyScope::All,
        ResponseMode::PostFirst if has_answered => ReplyScope::All,
        ResponseMode::PostFirst | ResponseMode::Private => ReplyScope::OwnThreads,
    }
}

/// A stage's state as participants see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagePhase {
    /// Not released: invisible to participants.
    Scheduled,
    Open,
    /// Released and past its close time: readable, no new answers.
    Closed,
}

pub fn stage_phase(
    released_at: Option<PrimitiveDateTime>,
    close_at: Option<PrimitiveDateTime>,
    now: PrimitiveDateTime,
) -> StagePhase {
    match (released_at, close_at) {
        (None, _) => StagePhase::Scheduled,
        (Some(_), Some(close)) if now >= close => StagePhase::Closed,
        (Some(_), _) => StagePhase::Open,
    }
}

/// Why a participant may not write a new answer now, if they may not.
pub fn answer_refusal(board: BoardState, phase: StagePhase) -> Option<&'static str> {
    match (board, phase) {
        (BoardState::Closed | BoardState::Archived, _) => {
            Some("This board is closed: it can be read but takes no new posts.")
        }
        (BoardState::Draft, _) => Some("This board has not opened yet."),
        (_, StagePhase::Scheduled) => Some("This question has not been released yet."),
        (_, StagePhase::Closed) => Some("This stage is closed: it can be read but takes no new answers."),
        (BoardState::Open, StagePhase::Open) => None,
    }
}

/// Replies inside an existing thread are allowed on a closed stage (the conversation may go
/// on), but not on a closed board.
pub fn reply_refusal(board: BoardState, phase: StagePhase) -> Option<&'static str> {
    match phase {
        StagePhase::Closed => answer_refusal(board, StagePhase::Open),
        other => answer_refusal(board, other),
    }
}

/// Whether something limited to `groups` (empty: everyone) is for a participant in `group`.
pub fn for_group(groups: &[String], group: Option<&str>) -> bool {
    groups.is_empty() || group.is_some_and(|g| groups.iter().any(|x| x.eq_ignore_ascii_case(g)))
}

/// Reads "Group A, Group B" (or a JSON list) into distinct, trimmed names.
pub fn parse_groups(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in input.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        if !out.iter().any(|x| x.eq_ignore_ascii_case(g)) {
            out.push(g.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn post_first_hides_others_until_answered() {
        assert_eq!(participant_scope(ResponseMode::PostFirst, false), ReplyScope::OwnThreads);
        assert_eq!(participant_scope(ResponseMode::PostFirst, true), ReplyScope::All);
        assert_eq!(participant_scope(ResponseMode::Open, false), ReplyScope::All);
        assert_eq!(participant_scope(ResponseMode::Private, true), ReplyScope::OwnThreads);
    }

    #[test]
    fn stage_phases_follow_release_and_close() {
        let now = datetime!(2021-03-29 09:00);
        assert_eq!(stage_phase(None, None, now), StagePhase::Scheduled);
        assert_eq!(stage_phase(Some(now), None, now), StagePhase::Open);
        assert_eq!(stage_phase(Some(now), Some(datetime!(2021-03-29 10:00)), now), StagePhase::Open);
        assert_eq!(stage_phase(Some(now), Some(now), now), StagePhase::Closed);
    }

    #[test]
    fn groups_limit_who_sees_what() {
        let ab = parse_groups(" Nurses , GPs,nurses ,");
        assert_eq!(ab, vec!["Nurses", "GPs"]);
        assert!(for_group(&[], None));
        assert!(for_group(&ab, Some("gps")));
        assert!(!for_group(&ab, Some("Social workers")));
        assert!(!for_group(&ab, None));
    }

    #[test]
    fn closed_stage_refuses_answers_but_not_replies() {
        assert!(answer_refusal(BoardState::Open, StagePhase::Closed).is_some());
        assert!(reply_refusal(BoardState::Open, StagePhase::Closed).is_none());
        assert!(reply_refusal(BoardState::Closed, StagePhase::Open).is_some());
    }
}
