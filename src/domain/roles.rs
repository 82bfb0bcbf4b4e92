//! Who someone is on a board, and the settings that change what they may do.

text_enum!(
    /// A staff member's role on one board. Administrators have every right on every board.
    BoardRole {
        Moderator = "moderator",
        CoModerator = "co_moderator",
        Observer = "observer",
        Analyst = "analyst",
    }
);

text_enum!(
    /// How a question shows replies to participants.
    ResponseMode {
        PostFirst = "post_first",
        Open = "open",
        Private = "private",
    }
);

text_enum!(
    /// Whether participants appear to each other by screen name or by real name.
    Anonymity {
        ScreenNames = "screen_names",
        RealNames = "real_names",
    }
);

text_enum!(
    /// How a post reached the board: written on the web by its author, or recorded by staff on a
    /// participant's behalf from an answer given another way.
    PostSource {
        Web = "web",
        Email = "email",
        Telephone = "telephone",
        Other = "other",
    }
);

text_enum!(
    /// A closed or archived board is read-only.
    BoardState {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
        Archived = "archived",
    }
);

impl ResponseMode {
    pub fn label(self) -> &'static str {
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
}
