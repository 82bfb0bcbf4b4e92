//! Codebook rules: colours, ready-made templates, and reading a REFI-QDA codebook (.qdc).

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

/// A code as written in a template or read from a .qdc file, with its children.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeSpec {
    pub name: String,
    pub description: String,
    pub colour: Option<String>,
    pub children: Vec<CodeSpec>,
}

impl CodeSpec {
    fn leaf(name: &str, description: &str, colour: &str) -> CodeSpec {
        CodeSpec { name: name.into(), description: description.into(), colour: Some(colour.into()), children: vec![] }
    }

    /// How many codes the tree holds, this one included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(CodeSpec::count).sum::<usize>()
    }
}

/// Colours in the REFI-QDA form: #rgb or #rrggbb, stored as lower-case #rrggbb.
pub fn normalise_colour(value: &str) -> Option<String> {
    let hex = value.trim().strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase())),
        _ => None,
    }
}

const PALETTE: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

/// The colour a new code gets when none is chosen: a palette readable on white.
pub fn default_colour(position: usize) -> &'static str {
    PALETTE[position % PALETTE.len()]
}

/// Where a colour is in the palette: pages tint coded text by a stylesheet class (`c0`…`c7`),
/// since their content security policy allows no inline styles.
pub fn palette_index(colour: &str) -> Option<usize> {
    PALETTE.iter().position(|c| c.eq_ignore_ascii_case(colour))
}

pub struct Template {
    pub key: &'static str,
    pub title: &'static str,
    pub source: &'static str,
    pub codes: fn() -> CodeSpec,
}

/// Ready-made codebooks to start from.
pub const TEMPLATES: &[Template] = &[
    Template {
        key: "value-creation",
        title: "Value creation cycles",
        source:
            "Wenger, Trayner and de Laat (2011), Promoting and assessing value creation in communities and networks",
        codes: value_creation,
    },
    Template {
        key: "four-pillars",
        title: "Four pillars of successful communities of practice",
        source: "the four pillars of successful communities of practice",
        codes: four_pillars,
    },
];

pub fn template(key: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.key == key)
}

fn value_creation() -> CodeSpec {
    CodeSpec {
        name: "Value creation cycles".into(),
        description: "Wenger-Trayner's cycles of value created by taking part in a community or network.".into(),
        colour: Some("#1f77b4".into()),
        children: vec![
            CodeSpec::leaf("Immediate value", "Activities and interactions have value in themselves: fun, inspiration, help with a problem.", "#4e79a7"),
            CodeSpec::leaf("Potential value", "Knowledge capital that may be realised later: skills, information, relationships, confidence, new views.", "#f28e2b"),
            CodeSpec::leaf("Applied value", "Knowledge capital put to use: changed practice, tools or approaches adopted.", "#e15759"),
            CodeSpec::leaf("Realised value", "Changes in performance that matter to the participant or their organisation.", "#76b7b2"),
            CodeSpec::leaf("Reframing value", "Redefining success: new criteria, strategies, goals or values.", "#59a14f"),
        ],
    }
}

fn four_pillars() -> CodeSpec {
    CodeSpec {
        name: "Four pillars".into(),
        description: "The four pillars of successful communities of practice.".into(),
        colour: Some("#9467bd".into()),
        children: vec![
            CodeSpec::leaf("Maintaining momentum", "Keeping the community active and engaged over time.", "#af7aa1"),
            CodeSpec::leaf(
                "Achieving and demonstrating progress and added value",
                "Showing what the community has achieved and the value it adds.",
                "#ff9da7",
            ),
            CodeSpec::leaf(
                "Sustaining a rhythm of learning",
                "Regular occasions and habits for learning together.",
                "#9c755f",
            ),
            CodeSpec::leaf(
                "Nurturing culture and principles",
                "The shared culture, norms and principles that hold the community together.",
                "#bab0ac",
            ),
        ],
    }
}

/// How deep codes may be nested in an imported codebook; real codebooks use a handful of levels.
pub const MAX_DEPTH: usize = 32;

/// Reads the code tree of a REFI-QDA codebook (`<CodeBook><Codes><Code …>`). Also accepts a
/// project file's `<CodeBook>`, so codes can be taken from a .qde.
pub fn parse_qdc(xml: &str) -> Result<Vec<CodeSpec>, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<CodeSpec> = Vec::new();
    let mut roots: Vec<CodeSpec> = Vec::new();
    let mut in_description = false;
    let mut saw_codebook = false;
    loop {
        let event = reader.read_event().map_err(|e| format!("The file is not well-formed XML: {e}"))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    "CodeBook" => saw_codebook = true,
                    "Code" => {
                        let mut code = CodeSpec {
                            name: String::new(),
                            description: String::new(),
                            colour: None,
                            children: vec![],
                        };
                        for attr in e.attributes() {
                            let attr = attr.map_err(|e| format!("A code has a malformed attribute: {e}"))?;
                            let value = attr
                                .normalized_value(XmlVersion::Implicit1_0)
                                .map_err(|e| format!("A code has a malformed attribute: {e}"))?
                                .to_string();
                            match attr.key.local_name().as_ref() {
                                "name" => code.name = value.trim().to_string(),
                                "color" => code.colour = normalise_colour(&value),
                                _ => {}
                            }
                        }
                        if code.name.is_empty() {
                            return Err("A code has no name.".into());
                        }
                        if empty {
                            attach(&mut stack, &mut roots, code);
                        } else if stack.len() >= MAX_DEPTH {
                            return Err(format!("Codes are nested more than {MAX_DEPTH} levels deep."));
                        } else {
                            stack.push(code);
                        }
                    }
                    "Description" if !stack.is_empty() && !empty => in_description = true,
                    _ => {}
                }
            }
            Event::Text(t) if in_description => {
                if let Some(code) = stack.last_mut() {
                    code.description.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::GeneralRef(r) if in_description => {
                let entity = format!("&{};", &*r);
                let resolved = quick_xml::escape::unescape(&entity)
                    .map_err(|e| format!("A description has an unknown entity: {e}"))?;
                if let Some(code) = stack.last_mut() {
                    code.description.push_str(&resolved);
                }
            }
            Event::CData(t) if in_description => {
                if let Some(code) = stack.last_mut() {
                    code.description.push_str(&t);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "Description" => in_description = false,
                "Code" => {
                    let code = stack.pop().ok_or("The codes are not nested properly.")?;
                    attach(&mut stack, &mut roots, code);
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("The file ends inside a code.".into());
    }
    if !saw_codebook {
        return Err("This is not a REFI-QDA codebook: there is no CodeBook element.".into());
    }
    if roots.is_empty() {
        return Err("The codebook has no codes.".into());
    }
    Ok(roots)
}

fn attach(stack: &mut [CodeSpec], roots: &mut Vec<CodeSpec>, code: CodeSpec) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(code),
        None => roots.push(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_normalised_or_refused() {
        assert_eq!(normalise_colour("#ABC").as_deref(), Some("#aabbcc"));
        assert_eq!(normalise_colour("#12aB9f").as_deref(), Some("#12ab9f"));
        assert_eq!(normalise_colour("red"), None);
        assert_eq!(normalise_colour("#12345"), None);
    }

    #[test]
    fn reads_a_nested_codebook() {
        let xml = r##"<?xml version="1.0" encoding="utf-8"?>
            <CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
              <Code guid="0e7a1b7e-0000-4000-8000-000000000001" name="Value" isCodable="true" color="#F00">
                <Description>Cycles &amp; more</Description>
                <Code guid="0e7a1b7e-0000-4000-8000-000000000002" name="Immediate" isCodable="true"/>
              </Code>
              <Code guid="0e7a1b7e-0000-4000-8000-000000000003" name="Other" isCodable="true"></Code>
            </Codes></CodeBook>"##;
        let codes = parse_qdc(xml).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].description, "Cycles & more");
        assert_eq!(codes[0].colour.as_deref(), Some("#ff0000"));
        assert_eq!(codes[0].children[0].name, "Immediate");
        assert!(parse_qdc("<Project/>").is_err());
        assert!(parse_qdc("<CodeBook><Codes><Code name='x'>").is_err());
        assert!(parse_qdc("<CodeBook><Codes><Code name=''/></Codes></CodeBook>").is_err());
        let deep =
            format!("<CodeBook><Codes>{}{}</Codes></CodeBook>", "<Code name='x'>".repeat(40), "</Code>".repeat(40));
        assert_eq!(parse_qdc(&deep).unwrap_err(), "Codes are nested more than 32 levels deep.");
    }

    #[test]
    fn templates_hold_the_named_codes() {
        let value = (template("value-creation").unwrap().codes)();
        let names: Vec<&str> = value.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Immediate value", "Potential value", "Applied value", "Realised value", "Reframing value"]);
        assert_eq!((template("four-pillars").unwrap().codes)().count(), 5);
    }
}

/// Where an excerpt is in a reply's text now, in characters: its stored range when the text
/// there is unchanged, else the first place the excerpt's text occurs (the reply was edited
/// after coding), else nowhere.
pub fn locate_excerpt(body: &str, start: usize, end: usize, text: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = body.chars().collect();
    if end <= chars.len() && start < end && chars[start..end].iter().copied().eq(text.chars()) {
        return Some((start, end));
    }
    find_chars(body, text)
}

/// The character range of the first occurrence of `needle` in `body`.
pub fn find_chars(body: &str, needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let byte = body.find(needle)?;
    let start = body[..byte].chars().count();
    Some((start, start + needle.chars().count()))
}

/// The text of characters `start..end` of `body`.
pub fn char_slice(body: &str, start: usize, end: usize) -> String {
    body.chars().skip(start).take(end.saturating_sub(start)).collect()
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;

    #[test]
    fn excerpts_are_found_after_edits() {
        assert_eq!(locate_excerpt("Café is good", 7, 11, "good"), Some((8, 12)), "moved: found by text");
        assert_eq!(locate_excerpt("Café is good", 8, 12, "good"), Some((8, 12)));
        assert_eq!(locate_excerpt("Café is bad", 8, 12, "good"), None);
        assert_eq!(char_slice("Café is good", 3, 7), "é is");
    }
}
