//! Building the threads of a question as a reader sees them: replies nested under answers,
//! authors named by the board's anonymity and the reader's standing, agreements and images.
//! Shared by the question page and moderation, below both.

use super::views::{participant_label, PostView, When};
use crate::db::posts::AuthoredPost;
use crate::db::{self, DbConn};
use crate::domain::ids::{ParticipantId, PostId, QuestionId, UserId};
use crate::domain::roles::{Anonymity, PostSource, Seen, Standing};
use crate::error::AppResult;
use std::collections::{HashMap, HashSet};

/// The longest post, in characters.
pub const MAX_POST_CHARS: usize = 20_000;

/// What building a thread needs to know about who is reading it.
pub struct Reader<'a> {
    /// The reader's id (a participant's or a staff account's).
    pub me: &'a str,
    pub zone: &'a crate::domain::timezone::BoardZone,
    pub anonymity: Anonymity,
    pub standing: Standing,
    /// How the reader sees who participants are.
    pub seen: Seen,
    /// Names of staff who recorded answers on participants' behalf, by user id.
    pub recorders: &'a HashMap<UserId, String>,
    /// Who agreed with each post: post id to (participant id, how staff name them).
    pub reactions: &'a Reactions,
    /// Images of posts, by post id.
    pub images: &'a HashMap<PostId, Vec<super::views::ImageView>>,
}

/// Who agreed with each post: post id to (participant id, how staff name them).
pub type Reactions = HashMap<PostId, Vec<(ParticipantId, String)>>;

/// The "agree" reactions on a question's posts, in one query.
pub fn reactions_of(
    conn: &mut DbConn,
    question_id: &QuestionId,
    anonymity: Anonymity,
    seen: Seen,
) -> AppResult<Reactions> {
    Ok(reactions_by_post(db::posts::reactions_of_question(conn, question_id)?, anonymity, seen))
}

/// The "agree" reactions on the given posts (one page of a question).
pub fn reactions_of_posts(
    conn: &mut DbConn,
    post_ids: &[PostId],
    anonymity: Anonymity,
    seen: Seen,
) -> AppResult<Reactions> {
    Ok(reactions_by_post(db::posts::reactions_of_posts(conn, post_ids)?, anonymity, seen))
}

/// The "agree" reactions on one post.
pub fn reactions_of_post(
    conn: &mut DbConn,
    post_id: &PostId,
    anonymity: Anonymity,
    seen: Seen,
) -> AppResult<Reactions> {
    Ok(reactions_by_post(db::posts::reactions_of_post(conn, post_id)?, anonymity, seen))
}

/// Labelled for staff (only staff see who agreed): names or pseudonyms by `seen`.
fn reactions_by_post(rows: Vec<db::posts::Reaction>, anonymity: Anonymity, seen: Seen) -> Reactions {
    let seen = if seen == Seen::ByPseudonym { Seen::ByPseudonym } else { Seen::WithIdentities };
    let mut map: Reactions = HashMap::new();
    for r in rows {
        let label = participant_label(r.screen_name.as_deref(), &r.name, r.pseudonym_no, anonymity, seen);
        map.entry(r.post_id).or_default().push((r.participant_id, label));
    }
    map
}

/// Nests replies under the post they answer, keeping creation order at every level.
pub fn thread_tree(posts: &[&AuthoredPost], reader: &Reader) -> Vec<PostView> {
    let mut children: HashMap<&str, Vec<&AuthoredPost>> = HashMap::new();
    let mut roots = Vec::new();
    let ids: HashSet<&str> = posts.iter().map(|AuthoredPost { post: p, .. }| p.id.as_str()).collect();
    for ap in posts {
        match ap.post.parent_id.as_deref() {
            Some(parent) if ids.contains(parent) => children.entry(parent).or_default().push(ap),
            _ => roots.push(*ap),
        }
    }
    roots
        .iter()
        .map(|ap| {
            let mut view = post_view(ap, &children, reader);
            view.continues_thread = ap.post.parent_id.is_some();
            view
        })
        .collect()
}

fn post_view(ap: &AuthoredPost, children: &HashMap<&str, Vec<&AuthoredPost>>, r: &Reader) -> PostView {
    let AuthoredPost { post: p, screen_name: screen, participant_name: name, pseudonym_no, withdrawn_at, staff_name } =
        ap;
    let staff = r.standing.sees_everything();
    let removed = p.removed_at.is_some();
    let is_yours = !removed && (p.participant_id.as_deref() == Some(r.me) || p.author_user_id.as_deref() == Some(r.me));
    let (author, kind) = match (&p.participant_id, staff_name) {
        // Only the place of a removed post is left, for the replies to it.
        _ if removed => ("Withdrawn participant".to_string(), "removed"),
        (Some(_), _) => {
            let label = participant_label(
                screen.as_deref(),
                name.as_deref().unwrap_or(""),
                pseudonym_no.unwrap_or(0),
                r.anonymity,
                r.seen,
            );
            // What a withdrawn participant wrote stays under their pseudonym; staff who see
            // identities still see who it was.
            let label = match (withdrawn_at, r.seen) {
                (None, _) => label,
                (Some(_), Seen::WithIdentities) => format!("{label} (withdrawn)"),
                (Some(_), _) => format!("{} (withdrawn)", crate::domain::roles::pseudonym(pseudonym_no.unwrap_or(0))),
            };
            (label, "participant")
        }
        (None, Some(n)) => (format!("{n} (moderator)"), "moderator"),
        (None, None) => ("Moderator".to_string(), "moderator"),
    };
    let hidden = p.hidden_at.is_some();
    let recorded_note = match (&p.recorded_by, p.source) {
        (Some(by), source) => {
            let how = match source {
                PostSource::Email => "by email",
                PostSource::Telephone => "by telephone",
                PostSource::Web | PostSource::Other => "outside the board",
            };
            Some(match (staff, r.recorders.get(by)) {
                (true, Some(name)) => format!("Answer given {how}, recorded by {name}"),
                _ => format!("Answer given {how}, recorded by the moderators"),
            })
        }
        // Written by the participant as a reply to one of the board's emails.
        (None, PostSource::Email) => Some("Answered by email".to_string()),
        (None, _) => None,
    };
    PostView {
        id: p.id.clone(),
        question_id: p.question_id.clone(),
        parent_id: p.parent_id.clone(),
        author,
        author_kind: kind.into(),
        is_yours,
        body_html: if removed {
            "<p><em>A withdrawn participant's post was removed.</em></p>".into()
        } else if hidden && !staff {
            "<p><em>This post was hidden by the moderators.</em></p>".into()
        } else {
            p.body_html.clone()
        },
        body_md: (is_yours && !hidden).then(|| p.body_md.clone()),
        created: When::new(r.zone, p.created_at),
        edited: When::opt(r.zone, p.edited_at),
        hidden,
        removed,
        hidden_reason: p.hidden_reason.clone().filter(|_| staff),
        is_probe: p.is_probe,
        private: p.private_to.is_some(),
        source: p.source,
        recorded_note,
        agrees: r.reactions.get(&p.id).map_or(0, |v| v.len() as i64),
        agreed_by_you: r.reactions.get(&p.id).is_some_and(|v| v.iter().any(|(who, _)| who.as_str() == r.me)),
        images: if hidden && !staff { Vec::new() } else { r.images.get(&p.id).cloned().unwrap_or_default() },
        agreed_by: if staff {
            r.reactions.get(&p.id).map(|v| v.iter().map(|(_, l)| l.clone()).collect()).unwrap_or_default()
        } else {
            Vec::new()
        },
        continues_thread: false,
        replies: children
            .get(p.id.as_str())
            .map(|c| c.iter().map(|ap| post_view(ap, children, r)).collect())
            .unwrap_or_default(),
    }
}

/// Names of the staff who recorded any of `posts` on a participant's behalf.
pub fn recorder_names(conn: &mut DbConn, posts: &[AuthoredPost]) -> AppResult<HashMap<UserId, String>> {
    super::user_names(conn, posts.iter().filter_map(|AuthoredPost { post: p, .. }| p.recorded_by.clone()))
}
