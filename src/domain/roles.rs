//! Who someone is on a board, and the settings that change what they may do.

text_enum!(
    /// A staff member's role on one board. Administrators have every right on every board.
    BoardRole {
        Moderator = "moderator" / "Moderator",
        CoModerator = "co_moderator" / "Co-moderator",
        Observer = "observer" / "Observer",
        Analyst = "analyst" / "Analyst",
    }
);

text_enum!(
    /// How a question shows replies to participants.
    ResponseMode {
        PostFirst = "post_first" / "Post first",
        Open = "open" / "Open",
        Private = "private" / "Private",
    }
);

text_enum!(
    /// Whether participants appear to each other by screen name or by real name.
    Anonymity {
        ScreenNames = "screen_names" / "Screen names",
        RealNames = "real_names" / "Real names",
    }
);

text_enum!(
    /// How a post reached the board: written on the web by its author, or recorded by staff on a
    /// participant's behalf from an answer given another way.
    PostSource {
        Web = "web" / "On the web",
        Email = "email" / "By email",
        Telephone = "telephone" / "By telephone",
        Other = "other" / "Another way",
    }
);

text_enum!(
    /// A closed or archived board is read-only.
    BoardState {
        Draft = "draft" / "Draft",
        Open = "open" / "Open",
        Closed = "closed" / "Closed",
        Archived = "archived" / "Archived",
    }
);

text_enum!(
    /// What happens to what a withdrawing participant wrote: chosen when the board is set up and
    /// shown on the consent page.
    WithdrawalPolicy {
        Keep = "keep" / "Keep what they wrote, under their pseudonym",
        Remove = "remove" / "Remove what they wrote",
    }
);

text_enum!(
    /// How a withdrawal reached the board: from the participant's own preferences page, or
    /// recorded by staff from a message.
    WithdrawalSource {
        Participant = "participant" / "On the board, by the participant",
        Email = "email" / "By email",
        Telephone = "telephone" / "By telephone",
        InPerson = "in_person" / "In person",
        Other = "other" / "Another way",
    }
);

impl WithdrawalPolicy {
    /// What the consent page tells participants before they agree.
    pub fn consent_notice(self) -> &'static str {
        match self {
            WithdrawalPolicy::Keep => {
                "You can withdraw at any time from your preferences page. If you do, we stop \
                 emailing you, and what you have already written stays on the board under a \
                 code name (such as P07) instead of your name."
            }
            WithdrawalPolicy::Remove => {
                "You can withdraw at any time from your preferences page. If you do, we stop \
                 emailing you, and everything you wrote, your votes and your images are \
                 removed from the board and from the study's exports."
            }
        }
    }
}

text_enum!(
    /// How far a participant has come: shown on the participants page and in the grid.
    ParticipantStatus {
        NotSignedIn = "not_signed_in" / "Never signed in",
        SignedIn = "signed_in" / "Signed in, not posted",
        Posted = "posted" / "Posted",
        Withdrawn = "withdrawn" / "Withdrawn",
    }
);

impl ParticipantStatus {
    pub fn of(signed_in: bool, posted: bool) -> ParticipantStatus {
        match (signed_in, posted) {
            (_, true) => ParticipantStatus::Posted,
            (true, false) => ParticipantStatus::SignedIn,
            (false, false) => ParticipantStatus::NotSignedIn,
        }
    }
}

impl PostSource {
    /// How an answer came, for the coding page and exports: "On the web", or "By email
    /// (recorded on their behalf)".
    /// A participant's own reply by email is "By email (answered by replying)".
    pub fn described(self, on_behalf: bool) -> String {
        match (on_behalf, self) {
            (true, _) => format!("{} (recorded on their behalf)", self.label()),
            (false, PostSource::Email) => "By email (answered by replying)".to_string(),
            (false, _) => PostSource::Web.label().to_string(),
        }
    }
}

impl ResponseMode {
    /// What the mode means, for the question editor and the participant's page.
    pub fn description(self) -> &'static str {
        match self {
            ResponseMode::PostFirst => "Post first: replies from others appear after you answer",
            ResponseMode::Open => "Open: everyone's replies are visible",
            ResponseMode::Private => "Private: only the moderators see your answer",
        }
    }
}

/// The part someone plays on a board they are looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Admin,
    Staff(BoardRole),
    Participant,
}

impl Standing {
    /// Set up the board, write questions, release stages, manage people.
    pub fn can_manage(self) -> bool {
        matches!(self, Standing::Admin | Standing::Staff(BoardRole::Moderator | BoardRole::CoModerator))
    }

    /// Code replies, read the report and export (analysts, moderators, administrators).
    pub fn can_analyse(self) -> bool {
        matches!(
            self,
            Standing::Admin | Standing::Staff(BoardRole::Moderator | BoardRole::CoModerator | BoardRole::Analyst)
        )
    }

    /// Sees participants' names and emails: administrators and moderators always, the other
    /// staff roles when the board lists them in `seen_by`; everyone else sees pseudonyms.
    pub fn sees_identities(self, seen_by: &[BoardRole]) -> bool {
        match self {
            Standing::Admin | Standing::Staff(BoardRole::Moderator) => true,
            Standing::Staff(role) => seen_by.contains(&role),
            Standing::Participant => false,
        }
    }

    /// How this reader sees who participants are.
    pub fn seen(self, seen_by: &[BoardRole]) -> Seen {
        match self {
            Standing::Participant => Seen::AsParticipant,
            staff if staff.sees_identities(seen_by) => Seen::WithIdentities,
            _ => Seen::ByPseudonym,
        }
    }

    /// Read every reply of every mode (everyone but participants).
    pub fn sees_everything(self) -> bool {
        !matches!(self, Standing::Participant)
    }

    pub fn name(self) -> &'static str {
        match self {
            Standing::Admin => "administrator",
            Standing::Staff(r) => r.as_str(),
            Standing::Participant => "participant",
        }
    }

    /// The part as people name it: the label of `name`.
    pub fn label_of(name: &str) -> Result<&'static str, String> {
        match name {
            "administrator" => Ok("Administrator"),
            "participant" => Ok("Participant"),
            role => BoardRole::parse(role).map(BoardRole::label),
        }
    }
}

/// A participant's stable pseudonym on a board, from its number: P01, P02 … P100.
pub fn pseudonym(number: i32) -> String {
    format!("P{number:02}")
}

/// How a reader sees who participants are: as a fellow participant (screen names on an
/// anonymous board), as staff who see names and emails, or as staff who see pseudonyms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    AsParticipant,
    WithIdentities,
    ByPseudonym,
}

text_enum!(
    /// What a link sent to a staff account is for.
    AccountLinkPurpose {
        Invitation = "invitation" / "Invitation to set a password",
        Reset = "reset" / "Password reset",
    }
);
