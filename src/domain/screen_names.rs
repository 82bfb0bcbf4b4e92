//! Screen names: what participants are called on a board with screen names. A name must not
//! pass for another participant's, nor for a member of staff's.

use unicode_normalization::UnicodeNormalization;

pub const MIN_CHARS: usize = 2;
pub const MAX_CHARS: usize = 40;

/// Words that label staff on the board ("Ann Lee (moderator)"): no participant may wear them.
const STAFF_WORDS: &[&str] = &["moderator", "administrator", "admin", "observer", "analyst", "staff", "focusboard"];

/// Invisible characters that change how text looks or reads without showing themselves: the
/// Unicode format characters (zero-width spaces and joiners, bidirectional overrides and
/// isolates, the byte-order mark, tags) and the line and paragraph separators.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// The name as it is stored and shown: NFKC (so "ｆｕｌｌ width" and ligatures become plain
/// letters), without control or invisible characters, with runs of spaces made one, trimmed.
/// Refused when too short or long, or when it reads as a staff label.
pub fn normalise(raw: &str) -> Result<String, String> {
    let cleaned: String = raw.nfkc().filter(|&c| !c.is_control() && !invisible(c)).collect();
    let name = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = name.chars().count();
    if chars < MIN_CHARS {
        return Err(format!("The screen name needs at least {MIN_CHARS} visible characters."));
    }
    if chars > MAX_CHARS {
        return Err(format!("The screen name is longer than {MAX_CHARS} characters."));
    }
    let key = comparison_key(&name);
    if let Some(word) = STAFF_WORDS.iter().find(|w| key.contains(&comparison_key(w))) {
        return Err(format!("A screen name cannot contain “{word}”: it would look like a member of staff."));
    }
    Ok(name)
}

/// What two names are compared by: their confusable skeleton (Unicode TS #39: "Аnn" with a
/// Cyrillic А, "rn" for "m", "0" for "O"), case folded and without spaces, so names that look
/// alike count as the same.
pub fn comparison_key(name: &str) -> String {
    let lower: String = name.nfkc().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace()).collect();
    let skeleton: String = unicode_security::confusable_detection::skeleton(&lower).collect();
    skeleton.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_control_characters_go() {
        assert_eq!(normalise("  Ann\u{200B} \u{202E}Lee\u{0}\n ").unwrap(), "Ann Lee");
        assert_eq!(normalise("ＡＮＮ").unwrap(), "ANN");
        assert!(normalise("\u{200B}\u{200B}a").is_err(), "one visible character is too few");
    }

    #[test]
    fn staff_labels_are_refused() {
        for name in ["Ann Lee (moderator)", "MODERATOR", "Ann (Co-Moderator)", "the admin", "Analyst Bob", "mоderator"]
        {
            assert!(normalise(name).is_err(), "{name}");
        }
        assert!(normalise("Ann Lee").is_ok());
    }

    #[test]
    fn look_alikes_compare_equal() {
        let ann = comparison_key("Ann Lee");
        for other in ["ann lee", "AnnLee", "Аnn Lee", "Ann  Lee"] {
            assert_eq!(comparison_key(other), ann, "{other}");
        }
        assert_eq!(comparison_key("rnary"), comparison_key("mary"));
        assert_ne!(comparison_key("Ann Lee"), comparison_key("Ann Lea"));
    }
}
