//! The emails a board's moderators may word for themselves: a subject and a markdown body with
//! placeholders such as `{name}` and `{link}`, filled in for each recipient. The same rules hold
//! for the default wording, so every board's mail goes through one path.

use super::email::EmailKind;

super::text_enum!(
    /// The emails whose words a board can change.
    EditableEmail {
        Invitation = "invitation" / "Invitation",
        StageOpen = "stage_open" / "A stage opens",
        ReminderClosing = "reminder_closing" / "Reminder before a stage closes",
        ReminderSignIn = "reminder_sign_in" / "Reminder to sign in",
    }
);

/// A placeholder a text may use, and what it becomes.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct Placeholder {
    pub name: &'static str,
    pub meaning: &'static str,
}

const fn ph(name: &'static str, meaning: &'static str) -> Placeholder {
    Placeholder { name, meaning }
}

const COMMON: [Placeholder; 8] = [
    ph("name", "The participant's name (\u{201c}there\u{201d} when it is not known)"),
    ph("link", "Their personal sign-in link"),
    ph("link_expires", "When their link stops working"),
    ph("board", "The board's title"),
    ph("moderator", "The name of the moderator who set up the board"),
    ph("contact", "That moderator's email address"),
    ph("opens", "When the board opens (\u{201c}now\u{201d} when no date is set)"),
    ph("closes", "When the board closes (\u{201c}when the study ends\u{201d} when no date is set)"),
];
const STAGE: Placeholder = ph("stage", "The stage's title");
const STAGE_CLOSES: Placeholder = ph("stage_closes", "When the stage closes");
const QUESTIONS: Placeholder =
    ph("questions", "The stage's questions for this participant, each a link (on lines of its own)");
const UNANSWERED: Placeholder = ph("unanswered", "How many of the stage's questions they have not answered");

impl EditableEmail {
    /// What the message is, for opt-outs and the delivery page.
    pub fn kind(self) -> EmailKind {
        match self {
            EditableEmail::Invitation => EmailKind::Invitation,
            EditableEmail::StageOpen => EmailKind::StageOpen,
            EditableEmail::ReminderClosing | EditableEmail::ReminderSignIn => EmailKind::Reminder,
        }
    }

    /// When it is sent, for the page where it is worded.
    pub fn when(self) -> &'static str {
        match self {
            EditableEmail::Invitation => "Sent when you send the invitations, and to each participant given a new link.",
            EditableEmail::StageOpen => "Sent to every invited participant when a stage is released.",
            EditableEmail::ReminderClosing => {
                "Sent before a stage closes to those who have not answered all its questions (board settings say how long before)."
            }
            EditableEmail::ReminderSignIn => {
                "Sent to those who have not signed in some hours after their invitation (board settings say how many)."
            }
        }
    }

    pub fn placeholders(self) -> Vec<Placeholder> {
        let mut all = COMMON.to_vec();
        match self {
            EditableEmail::Invitation | EditableEmail::ReminderSignIn => {}
            EditableEmail::StageOpen => all.extend([STAGE, STAGE_CLOSES, QUESTIONS]),
            EditableEmail::ReminderClosing => all.extend([STAGE, STAGE_CLOSES, UNANSWERED]),
        }
        all
    }

    /// Placeholders the body must keep: without the link, an invitation is no way in.
    fn required(self) -> &'static [&'static str] {
        match self {
            EditableEmail::Invitation | EditableEmail::ReminderSignIn => &["link"],
            EditableEmail::StageOpen => &["questions"],
            EditableEmail::ReminderClosing => &[],
        }
    }

    /// The subject and body a board starts with.
    pub fn default_text(self) -> (&'static str, &'static str) {
        match self {
            EditableEmail::Invitation => (
                "You are invited: {board}",
                "Hello {name},\n\n\
                 You are invited to take part in **{board}**, an online bulletin board where a small group \
                 answers a few questions over several days, each at their own pace. The board opens {opens} \
                 and closes {closes}.\n\n\
                 Your personal sign-in link (no password needed; please keep it to yourself):\n\n\
                 {link}\n\n\
                 The link is valid until {link_expires}. If you have a question about the study, write to \
                 {moderator} at {contact}.\n",
            ),
            EditableEmail::StageOpen => (
                "New questions are open: {stage}",
                "Hello {name},\n\n\
                 A new stage of **{board}** is open: **{stage}**. You can answer until {stage_closes}.\n\n\
                 {questions}\n\n\
                 If you are asked to sign in, use your personal link: {link}\n",
            ),
            EditableEmail::ReminderClosing => (
                "Reminder: {stage} closes {stage_closes}",
                "Hello {name},\n\n\
                 **{stage}** closes {stage_closes}, and {unanswered} of its questions still wait for your \
                 answer.\n\n\
                 Your personal sign-in link: {link}\n",
            ),
            EditableEmail::ReminderSignIn => (
                "Reminder: your invitation to {board}",
                "Hello {name},\n\n\
                 You were invited to **{board}** but have not signed in yet. Your views are welcome whenever \
                 suits you; the board closes {closes}.\n\n\
                 Your personal sign-in link: {link}\n",
            ),
        }
    }
}

/// The placeholders a text uses, in order, as (byte range, name): `{` word `}` with the word
/// in lower-case letters and underscores; any other brace is kept as written.
fn placeholders_in(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let end = bytes[i + 1..].iter().position(|b| !(b.is_ascii_lowercase() || *b == b'_')).map(|n| i + 1 + n);
            if let Some(end) = end.filter(|&e| e > i + 1 && bytes[e] == b'}') {
                found.push((i..end + 1, &text[i + 1..end]));
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// Checks a wording before it is kept: a subject and a body, every placeholder one this email
/// knows, and the ones it needs still there. The error names the field and says why.
pub fn check(which: EditableEmail, subject: &str, body: &str) -> Result<(), (&'static str, String)> {
    if subject.trim().is_empty() {
        return Err(("subject", "Write a subject.".into()));
    }
    if subject.chars().count() > 200 || subject.contains(['\r', '\n']) {
        return Err(("subject", "The subject is one line of at most 200 characters.".into()));
    }
    if body.trim().is_empty() {
        return Err(("body_md", "Write the message.".into()));
    }
    if body.chars().count() > 20_000 {
        return Err(("body_md", "The message is longer than 20,000 characters.".into()));
    }
    let known = which.placeholders();
    let known_names: Vec<&str> = known.iter().map(|p| p.name).collect();
    for (field, text) in [("subject", subject), ("body_md", body)] {
        for (_, name) in placeholders_in(text) {
            if !known_names.contains(&name) || (field == "subject" && name == "questions") {
                return Err((
                    field,
                    format!(
                        "{{{name}}} is not a placeholder of this email. It knows: {}.",
                        known_names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    for needed in which.required() {
        if !placeholders_in(body).iter().any(|(_, n)| n == needed) {
            let why = if *needed == "link" { "the participant's way in" } else { "what the email is for" };
            return Err(("body_md", format!("The message must contain {{{needed}}}: it is {why}.")));
        }
    }
    Ok(())
}

/// What the placeholders become for one recipient: plain text, and the questions as (text,
/// address) pairs.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub text: Vec<(&'static str, String)>,
    pub questions: Vec<(String, String)>,
}

impl Values {
    fn get(&self, name: &str) -> &str {
        self.text.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// Backslash-escapes what markdown would read as markup, so a name like `*Sam*` stays words.
fn escape_markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The subject (plain text, one line) and markdown body for one recipient. A link stands as an
/// autolink, unless it is the address of a markdown link (`[text]({link})`).
pub fn fill(subject: &str, body: &str, values: &Values) -> (String, String) {
    let subject = replace(subject, |_, name| values.get(name).to_string());
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let body = replace(body, |before, name| match name {
        "questions" => values
            .questions
            .iter()
            .map(|(text, url)| format!("- [{}]({url})", escape_markdown(text)))
            .collect::<Vec<_>>()
            .join("\n"),
        "link" if before.ends_with('(') => values.get(name).to_string(),
        "link" => format!("<{}>", values.get(name)),
        _ => escape_markdown(values.get(name)),
    });
    (subject, body)
}

fn replace(text: &str, value: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 128);
    let mut last = 0;
    for (range, name) in placeholders_in(text) {
        out.push_str(&text[last..range.start]);
        out.push_str(&value(&text[..range.start], name));
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_their_own_checks() {
        for which in EditableEmail::ALL {
            let (subject, body) = which.default_text();
            assert_eq!(check(*which, subject, body), Ok(()), "{which}");
        }
    }

    #[test]
    fn unknown_and_missing_placeholders_are_refused() {
        let err = check(EditableEmail::Invitation, "Hi {board}", "Hello {nmae}, {link}").unwrap_err();
        assert_eq!(err.0, "body_md");
        assert!(err.1.starts_with("{nmae} is not a placeholder"), "{}", err.1);
        let err = check(EditableEmail::Invitation, "Hi", "Hello {name}").unwrap_err();
        assert!(err.1.contains("{link}"), "{}", err.1);
        let err = check(EditableEmail::ReminderSignIn, "Closes {stage_closes}", "{link}").unwrap_err();
        assert_eq!(err.0, "subject", "the sign-in reminder has no stage");
        // Braces that are not a placeholder are text.
        assert_eq!(check(EditableEmail::Invitation, "Hi", "{link} {See: Appendix 2} {}"), Ok(()));
    }

    #[test]
    fn values_are_words_and_links_are_links() {
        let values = Values {
            text: vec![
                ("name", "*Sam* [x]".into()),
                ("link", "https://b.example/p/abc".into()),
                ("board", "Ward".into()),
            ],
            questions: vec![("What *helped*?".into(), "https://b.example/q/1".into())],
        };
        let (subject, body) =
            fill("Hello {name}\nof {board}", "Hi {name}. {link} or [here]({link}).\n\n{questions}", &values);
        assert_eq!(subject, "Hello *Sam* [x] of Ward");
        assert_eq!(
            body,
            "Hi \\*Sam\\* \\[x\\]. <https://b.example/p/abc> or [here](https://b.example/p/abc).\n\n\
             - [What \\*helped\\*?](https://b.example/q/1)"
        );
        let html = crate::domain::markdown::render(&body);
        assert!(html.contains("*Sam*") && html.contains("href=\"https://b.example/p/abc\""), "{html}");
    }
}
