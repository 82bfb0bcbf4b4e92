/// An email address that passed the checks a person would expect: one `@`, something on both
/// sides, a dot in the domain, no spaces. Stored lower-cased so duplicates are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("the email address is missing".into());
        }
        let invalid = || format!("{s:?} is not a valid email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(EmailAddress(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases() {
        assert_eq!(EmailAddress::parse(" Ann.Lee@NHS.net ").unwrap().as_str(), "ann.lee@nhs.net");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "ann", "ann@", "@nhs.net", "ann@nhs", "a b@nhs.net", "a@b@c.net", "a@.net"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }
}

super::text_enum!(
    /// The kinds of email focusboard sends. Participants can turn off every kind but the
    /// invitation and the link they ask for, which carry their way in.
    EmailKind {
        Invitation = "invitation" / "Invitation",
        StageOpen = "stage_open" / "Stage open",
        Reminder = "reminder" / "Reminder",
        Reply = "reply" / "Reply notice",
        Summary = "summary" / "Summary",
        Closing = "closing" / "Closing notice",
        SignInLink = "sign_in_link" / "Sign-in link on request",
        StaffInvitation = "staff_invitation" / "Staff invitation",
        PasswordReset = "password_reset" / "Password reset",
        ReplyByEmail = "reply_by_email" / "About a reply by email",
        Digest = "digest" / "Daily digest",
        StaffDigest = "staff_digest" / "Staff daily digest",
    }
);

super::text_enum!(
    /// What became of a message that arrived: posted, or waiting for a moderator (unmatched)
    /// until they attach it to a participant's answer or discard it.
    InboundOutcome {
        Posted = "posted" / "Posted as their answer",
        Unmatched = "unmatched" / "Not matched",
        Attached = "attached" / "Attached by a moderator",
        Discarded = "discarded" / "Discarded",
    }
);

super::text_enum!(
    /// How a participant hears of replies in the questions they may read.
    ReplyNotices {
        Each = "each" / "An email for each reply to my posts",
        Daily = "daily" / "One daily digest of what is new",
        Off = "off" / "No emails about replies",
    }
);

impl EmailKind {
    /// How the kind is named on the preferences page.
    pub fn description(self) -> &'static str {
        match self {
            EmailKind::Invitation => "Invitations with your sign-in link",
            EmailKind::StageOpen => "A new stage of questions is open",
            EmailKind::Reminder => "Reminders before a stage closes, or if you have not signed in",
            EmailKind::Reply => "Someone replied to your post",
            EmailKind::Summary => "The moderators published a summary of a stage",
            EmailKind::Closing => "The board is closing",
            EmailKind::SignInLink => "Your sign-in link, when you ask for it",
            EmailKind::StaffInvitation => "An invitation to set up a staff account",
            EmailKind::PasswordReset => "A link to set a new staff password",
            EmailKind::ReplyByEmail => "What became of a reply you sent by email",
            EmailKind::Digest => "A daily digest of what is new on the board",
            EmailKind::StaffDigest => "A daily digest of the board's activity, for staff",
        }
    }

    pub fn can_opt_out(self) -> bool {
        self.for_participants() && !matches!(self, EmailKind::Invitation | EmailKind::SignInLink)
    }

    /// Sent to participants (and listed on their preferences page), rather than to staff.
    pub fn for_participants(self) -> bool {
        !matches!(
            self,
            EmailKind::StaffInvitation | EmailKind::PasswordReset | EmailKind::ReplyByEmail | EmailKind::StaffDigest
        )
    }
}

super::text_enum!(
    /// Where a message is on its way out; `cancelled` when the recipient turned its kind off
    /// after it was queued.
    DeliveryStatus {
        Queued = "queued" / "Queued",
        Sending = "sending" / "Sending",
        Sent = "sent" / "Sent",
        Failed = "failed" / "Failed",
        Cancelled = "cancelled" / "Cancelled",
    }
);

/// How long to wait before the next attempt after `attempts` failed ones: doubling from
/// `base`, at most a day.
pub fn retry_delay(base: time::Duration, attempts: i32) -> time::Duration {
    let factor = 1i64 << attempts.clamp(1, 16).saturating_sub(1);
    (base * factor as i32).min(time::Duration::days(1))
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_are_bounded() {
        let base = time::Duration::seconds(30);
        assert_eq!(retry_delay(base, 1), time::Duration::seconds(30));
        assert_eq!(retry_delay(base, 3), time::Duration::minutes(2));
        assert_eq!(retry_delay(base, 40), time::Duration::days(1));
    }

    #[test]
    fn invitations_cannot_be_turned_off() {
        assert!(!EmailKind::Invitation.can_opt_out());
        assert!(EmailKind::ALL.iter().filter(|k| k.can_opt_out()).count() == 6);
    }
}
