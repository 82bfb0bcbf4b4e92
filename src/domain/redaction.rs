//! Redaction of names from texts for export, keeping track of how character positions move so
//! that coded excerpts still point at the same words afterwards.

const REPLACEMENT: &str = "[redacted]";

/// The names to redact, from a comma-separated list.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    names: Vec<String>,
}

/// A redacted text and where its characters moved: (start, old length, new length) per
/// replacement, in character positions of the original text.
#[derive(Debug, Clone, PartialEq)]
pub struct Redacted {
    pub text: String,
    edits: Vec<(usize, usize, usize)>,
}

impl Redacted {
    /// Where character position `pos` of the original text is in the redacted text. A
    /// position inside a redacted name moves to the start of "[redacted]".
    pub fn position(&self, pos: usize) -> usize {
        let mut shift: isize = 0;
        for &(start, old, new) in &self.edits {
            if pos <= start {
                break;
            }
            if pos < start + old {
                return (start as isize + shift) as usize;
            }
            shift += new as isize - old as isize;
        }
        (pos as isize + shift) as usize
    }

    /// Where an end position goes: inside a redacted name it moves to the end of "[redacted]".
    pub fn end_position(&self, pos: usize) -> usize {
        let mut shift: isize = 0;
        for &(start, old, new) in &self.edits {
            if pos <= start {
                break;
            }
            if pos < start + old {
                return (start as isize + shift) as usize + new;
            }
            shift += new as isize - old as isize;
        }
        (pos as isize + shift) as usize
    }
}

impl Redactor {
    pub fn new(list: Option<&str>) -> Redactor {
        let mut names: Vec<String> =
            list.unwrap_or("").split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect();
        // Longer names first, so "Ann Smith" is redacted whole before "Ann".
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        Redactor { names }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn text(&self, text: &str) -> String {
        if self.names.is_empty() {
            return text.to_string();
        }
        self.apply(text).text
    }

    /// Replaces whole-word occurrences of each name (ignoring case) by "[redacted]".
    pub fn apply(&self, text: &str) -> Redacted {
        let chars: Vec<char> = text.chars().collect();
        let lowered: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
        let names: Vec<Vec<char>> =
            self.names.iter().map(|n| n.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect()).collect();
        let boundary = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_none_or(|c| !c.is_alphanumeric());
        let mut out = String::with_capacity(text.len());
        let mut edits = Vec::new();
        let mut i = 0;
        'scan: while i < chars.len() {
            if boundary(i.checked_sub(1)) {
                for name in &names {
                    if lowered[i..].starts_with(name) && boundary(Some(i + name.len())) {
                        out.push_str(REPLACEMENT);
                        edits.push((i, name.len(), REPLACEMENT.len()));
                        i += name.len();
                        continue 'scan;
                    }
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        Redacted { text: out, edits }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_whole_names_only() {
        let r = Redactor::new(Some("john, Andrée"));
        assert_eq!(
            r.text("John and Andrée helped john; Johnson not"),
            "[redacted] and [redacted] helped [redacted]; Johnson not"
        );
        assert_eq!(Redactor::new(Some("Ann, Ann Smith")).text("Ann Smith and Ann"), "[redacted] and [redacted]");
        assert_eq!(Redactor::new(None).text("Ann"), "Ann");
    }

    #[test]
    fn positions_follow_the_words() {
        let r = Redactor::new(Some("Jo")).apply("Jo said: great tool");
        // "great" is at 9..14 before and 17..22 after.
        assert_eq!(&r.text.chars().collect::<String>()[r.position(9)..r.end_position(14)], "great");
        assert_eq!(r.position(1), 0, "inside the name moves to its start");
        assert_eq!(r.end_position(1), 10, "and an end to the replacement's end");
        assert_eq!(r.position(0), 0);
    }
}
