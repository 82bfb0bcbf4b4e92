//! The counts of the report page: per question, per participant, per code, by attribute.

use super::codebook::with_paths;
use super::shared::*;
use crate::db::models::{Code, Post};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, CodeId, ParticipantId, PostId, QuestionId, StageId};
use crate::error::AppResult;
use crate::service::views::When;
use crate::service::{Access, Actor, Ctx};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionCount {
    pub id: QuestionId,
    pub stage: String,
    pub prompt: String,
    /// Participants who answered (a reply or a vote).
    pub answered: i64,
    /// Participants the question was released to.
    pub released_to: i64,
    pub replies: i64,
    /// Replies with at least one code.
    pub coded: i64,
    /// Participants who answered, per value of the chosen attribute (`Report::values`).
    pub answered_by_value: Vec<i64>,
    /// Participants the question was released to, per value of the chosen attribute.
    pub released_by_value: Vec<i64>,
}

/// One participant's part in the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantCount {
    /// P01 …
    pub participant: String,
    /// Their value of the chosen attribute.
    pub value: Option<String>,
    /// Released questions they answered, of those released to them.
    pub answered: i64,
    pub released_to: i64,
    pub replies: i64,
    /// Their replies with at least one code.
    pub coded: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeCount {
    pub id: CodeId,
    pub path: String,
    pub depth: usize,
    pub colour: String,
    /// Replies with this code (on the whole reply or an excerpt).
    pub replies: i64,
    /// Participants whose replies have this code.
    pub participants: i64,
    /// Replies with this code or one of its sub-codes.
    pub replies_in_tree: i64,
    /// Participants whose replies have this code or one of its sub-codes.
    pub participants_in_tree: i64,
    /// Participants (this code or its sub-codes) per value of the chosen attribute, in the
    /// order of `Report::values`.
    pub by_value: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteView {
    pub participant: String,
    pub question: String,
    pub text: String,
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub board_id: BoardId,
    pub board_title: String,
    pub generated: When,
    pub participants: i64,
    pub questions: Vec<QuestionCount>,
    pub codes: Vec<CodeCount>,
    /// The attributes participants have, to break the counts down by.
    pub attributes: Vec<String>,
    /// The chosen attribute, and its values (with how many participants have each).
    pub attribute: Option<String>,
    pub values: Vec<String>,
    pub value_sizes: Vec<i64>,
    /// Per participant, in pseudonym order.
    pub people: Vec<ParticipantCount>,
    pub quotes: Vec<QuoteView>,
}

/// The counts analysts report: per question, answered of released to; per code, replies and
/// participants, broken down by one participant attribute. A fixed number of queries.
pub fn report(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    attribute: Option<&str>,
) -> AppResult<Report> {
    let acc = analysis_access(conn, actor, board_id)?;
    let people = db::participants::of_board(conn, board_id)?;
    let ids = pseudonyms(&people);
    let stages: HashMap<StageId, crate::db::models::Stage> =
        db::stages::of_board(conn, board_id)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut questions = db::stages::questions_of_board(conn, board_id)?;
    questions.sort_by_key(|q| (stages.get(q.stage_id.as_str()).map(|s| s.position), q.position));
    let codings = db::analysis::counted_codings_of_board(conn, board_id)?;
    let maps: Vec<&crate::domain::attributes::Attributes> = people.iter().map(|p| p.attributes.get()).collect();
    let attributes = crate::domain::attributes::names_in(maps.iter().copied());
    let attribute = attribute.filter(|a| attributes.iter().any(|x| x == a)).map(str::to_string);
    let mut value_of: HashMap<&str, String> = HashMap::new();
    for (p, map) in people.iter().zip(&maps) {
        let v = attribute.as_deref().map(|a| crate::domain::attributes::attribute_text(map, a)).unwrap_or_default();
        value_of.insert(p.id.as_str(), if v.is_empty() { "(none)".into() } else { v });
    }
    let values: Vec<String> = if attribute.is_some() {
        value_of.values().cloned().collect::<BTreeSet<_>>().into_iter().collect()
    } else {
        vec![]
    };
    let value_sizes = values.iter().map(|v| value_of.values().filter(|x| *x == v).count() as i64).collect();

    // Participants and questions by position, so that counting a board of a thousand
    // participants and twenty questions is arithmetic on vectors, not hashing of id pairs.
    let (np, nq) = (people.len(), questions.len());
    let person_at: HashMap<&str, usize> = people.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let question_at: HashMap<&str, usize> = questions.iter().enumerate().map(|(i, q)| (q.id.as_str(), i)).collect();
    let value_at: Vec<Option<usize>> =
        people.iter().map(|p| value_of.get(p.id.as_str()).and_then(|v| values.iter().position(|x| x == v))).collect();
    // answered[q * np + p]: a written answer or a current vote.
    let mut answered = vec![false; np * nq];
    let mut replies = vec![0i64; nq];
    let mut replies_by = vec![0i64; np];
    for (q, p) in db::posts::answer_pairs_of_board(conn, board_id)? {
        if let (Some(&qi), Some(&pi)) = (question_at.get(q.as_str()), person_at.get(p.as_str())) {
            answered[qi * np + pi] = true;
            replies[qi] += 1;
            replies_by[pi] += 1;
        }
    }
    for (q, p) in db::votes::pairs_of_board(conn, board_id)? {
        if let (Some(&qi), Some(&pi)) = (question_at.get(q.as_str()), person_at.get(p.as_str())) {
            answered[qi * np + pi] = true;
        }
    }
    // Who each released question is for, by the group rule: worked out once per group, since
    // a board has a few groups and many participants.
    let released_q: Vec<Option<&crate::db::models::Stage>> =
        questions.iter().map(|q| stages.get(q.stage_id.as_str()).filter(|s| s.released_at.is_some())).collect();
    let mut by_group: HashMap<Option<String>, Vec<bool>> = HashMap::new();
    let eligible: Vec<&Vec<bool>> = {
        let groups: Vec<Option<String>> = people.iter().map(|p| p.group()).collect();
        for g in &groups {
            by_group.entry(g.clone()).or_insert_with(|| {
                questions
                    .iter()
                    .zip(&released_q)
                    .map(|(q, s)| {
                        s.is_some_and(|s| crate::domain::attributes::is_for(g.as_deref(), &s.groups, &q.groups))
                    })
                    .collect()
            });
        }
        groups.iter().map(|g| &by_group[g]).collect()
    };
    let mut coded: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut coded_by: HashMap<&str, HashSet<&str>> = HashMap::new();
    for c in &codings {
        coded.entry(&c.question_id).or_default().insert(&c.post_id);
        if let Some(who) = &c.participant_id {
            coded_by.entry(who).or_default().insert(&c.post_id);
        }
    }

    let question_counts = questions
        .iter()
        .enumerate()
        .filter_map(|(qi, q)| {
            let stage = released_q[qi]?;
            let mut count = QuestionCount {
                id: q.id.clone(),
                stage: stage.title.clone(),
                prompt: q.prompt_md.clone(),
                answered: 0,
                released_to: 0,
                answered_by_value: vec![0; values.len()],
                released_by_value: vec![0; values.len()],
                replies: replies[qi],
                coded: coded.get(q.id.as_str()).map_or(0, |s| s.len() as i64),
            };
            for pi in 0..np {
                let did = answered[qi * np + pi];
                count.answered += i64::from(did);
                if eligible[pi][qi] {
                    count.released_to += 1;
                    if let Some(v) = value_at[pi] {
                        count.released_by_value[v] += 1;
                    }
                }
                if let (true, Some(v)) = (did, value_at[pi]) {
                    count.answered_by_value[v] += 1;
                }
            }
            Some(count)
        })
        .collect();

    let mut person_counts: Vec<ParticipantCount> = people
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let theirs = (0..nq).filter(|&qi| eligible[pi][qi]);
            ParticipantCount {
                participant: ids.get(p.id.as_str()).cloned().unwrap_or_default(),
                value: attribute.as_ref().and(value_of.get(p.id.as_str()).cloned()),
                answered: theirs.clone().filter(|&qi| answered[qi * np + pi]).count() as i64,
                released_to: theirs.count() as i64,
                replies: replies_by[pi],
                coded: coded_by.get(p.id.as_str()).map_or(0, |s| s.len() as i64),
            }
        })
        .collect();
    person_counts.sort_by(|a, b| a.participant.cmp(&b.participant));

    let codes = db::analysis::codes_of_board(conn, board_id)?;
    let code_map: HashMap<CodeId, Code> = codes.iter().map(|c| (c.id.clone(), c.clone())).collect();
    let tree = with_paths(codes);
    let code_counts = count_codes(&tree, &codings, &values, &value_of);

    let prompts: HashMap<&str, &str> = questions.iter().map(|q| (q.id.as_str(), q.prompt_md.as_str())).collect();
    let quotes = quotes(conn, &acc, &ids, &prompts, &code_map)?;
    Ok(Report {
        board_id: acc.board.id.clone(),
        board_title: acc.board.title.clone(),
        generated: When::new(&acc.zone(), ctx.now()),
        participants: people.len() as i64,
        questions: question_counts,
        codes: code_counts,
        attributes,
        attribute,
        values,
        value_sizes,
        people: person_counts,
        quotes,
    })
}

/// The board's quotes with pseudonymous ids, their question and codes: three queries.
fn quotes(
    conn: &mut DbConn,
    acc: &Access,
    ids: &HashMap<ParticipantId, String>,
    prompts: &HashMap<&str, &str>,
    codes: &HashMap<CodeId, Code>,
) -> AppResult<Vec<QuoteView>> {
    let quotes = db::analysis::quotes_of_board(conn, &acc.board.id)?;
    let post_ids: Vec<PostId> = quotes.iter().map(|q| q.post_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let posts: HashMap<PostId, Post> =
        db::posts::find_many(conn, &post_ids)?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let codings = db::analysis::codings_of_posts(conn, &post_ids)?;
    Ok(quotes
        .into_iter()
        .filter_map(|q| {
            let post = posts.get(q.post_id.as_str())?;
            Some(QuoteView {
                participant: post
                    .participant_id
                    .as_ref()
                    .and_then(|p| ids.get(p.as_str()).cloned())
                    .unwrap_or_else(|| "moderator".into()),
                question: prompts.get(post.question_id.as_str()).map(|p| p.to_string()).unwrap_or_default(),
                codes: codings
                    .iter()
                    .filter(|c| c.excerpt_id == q.id)
                    .filter_map(|c| codes.get(c.code_id.as_str()))
                    .map(|c| c.name.clone())
                    .collect(),
                text: q.text,
            })
        })
        .collect())
}

/// The counts of each code (in tree order, with its depth and path): replies and participants
/// coded with it, the same over the code and all its sub-codes, and the participants in the
/// tree by the chosen attribute's values. Pure, so the arithmetic is tested on its own.
pub fn count_codes(
    tree: &[(Code, usize, String)],
    codings: &[db::analysis::CountedCoding],
    values: &[String],
    value_of: &HashMap<&str, String>,
) -> Vec<CodeCount> {
    // In tree order a code's sub-codes follow it, up to the next code no deeper than it.
    let subtree = |i: usize| -> HashSet<&str> {
        let depth = tree[i].1;
        let end = tree[i + 1..].iter().position(|(_, d, _)| *d <= depth).map_or(tree.len(), |n| i + 1 + n);
        tree[i..end].iter().map(|(c, ..)| c.id.as_str()).collect()
    };
    let counted = |ids: &HashSet<&str>| {
        let mine: Vec<&db::analysis::CountedCoding> =
            codings.iter().filter(|c| ids.contains(c.code_id.as_str())).collect();
        let posts: HashSet<&str> = mine.iter().map(|c| c.post_id.as_str()).collect();
        let who: HashSet<&str> = mine.iter().filter_map(|c| c.participant_id.as_deref()).collect();
        (posts.len() as i64, who)
    };
    (0..tree.len())
        .map(|i| {
            let (code, depth, path) = &tree[i];
            let (replies, who) = counted(&HashSet::from([code.id.as_str()]));
            let (replies_in_tree, who_in_tree) = counted(&subtree(i));
            CodeCount {
                id: code.id.clone(),
                path: path.clone(),
                depth: *depth,
                colour: code.colour.clone(),
                replies,
                participants: who.len() as i64,
                replies_in_tree,
                participants_in_tree: who_in_tree.len() as i64,
                by_value: values
                    .iter()
                    .map(|v| who_in_tree.iter().filter(|p| value_of.get(**p) == Some(v)).count() as i64)
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str) -> Code {
        Code {
            id: id.into(),
            board_id: "b".into(),
            parent_id: None,
            name: id.into(),
            description: String::new(),
            colour: "#000000".into(),
            position: 0,
            created_by: "a".into(),
            created_at: time::PrimitiveDateTime::MIN,
        }
    }

    #[test]
    fn a_code_counts_its_own_codings_and_its_tree_counts_its_sub_codes_once_each() {
        // value (depth 0) > immediate, potential (depth 1); applied (depth 0).
        let tree = vec![
            (code("value"), 0, "value".into()),
            (code("immediate"), 1, "value / immediate".into()),
            (code("potential"), 1, "value / potential".into()),
            (code("applied"), 0, "applied".into()),
        ];
        let c = |code: &str, post: &str, who: &str| db::analysis::CountedCoding {
            code_id: code.into(),
            post_id: post.into(),
            question_id: "q".into(),
            participant_id: Some(who.into()),
        };
        // post1 (ann) coded immediate and potential; post2 (bob) coded potential; post3 (ann) applied.
        let codings = vec![
            c("immediate", "post1", "ann"),
            c("potential", "post1", "ann"),
            c("potential", "post2", "bob"),
            c("applied", "post3", "ann"),
        ];
        let values = vec!["Nurse".to_string(), "GP".to_string()];
        let value_of: HashMap<&str, String> = HashMap::from([("ann", "Nurse".to_string()), ("bob", "GP".to_string())]);
        let counts = count_codes(&tree, &codings, &values, &value_of);
        let by = |id: &str| counts.iter().find(|c| c.id == id).unwrap().clone();
        let value = by("value");
        assert_eq!((value.replies, value.participants), (0, 0), "nothing coded with the parent itself");
        assert_eq!((value.replies_in_tree, value.participants_in_tree), (2, 2), "post1 once though coded twice below");
        assert_eq!(value.by_value, vec![1, 1]);
        let potential = by("potential");
        assert_eq!((potential.replies, potential.participants, potential.replies_in_tree), (2, 2, 2));
        let applied = by("applied");
        assert_eq!(
            (applied.replies_in_tree, applied.by_value.clone()),
            (1, vec![1, 0]),
            "the next top-level code ends the tree above"
        );
    }
}
