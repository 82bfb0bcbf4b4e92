//! Reading REFI-QDA projects (.qdpx): a ZIP holding project.qde and the sources' texts. Reads
//! what NVivo, ATLAS.ti, MAXQDA and focusboard write: text sources with their text in a file
//! (`plainTextPath="internal://<file>"`, stored under sources/) or inline, selections with
//! codings and descriptions, codings on a whole source, cases with variables, and notes.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::collections::HashMap;
use std::io::Read;

/// The most a project may unpack to: its XML and every source's text together.
const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Project {
    /// (guid, name) of the users who coded.
    pub users: Vec<(String, String)>,
    pub codes: Vec<QdaCode>,
    /// (guid, name).
    pub variables: Vec<(String, String)>,
    pub cases: Vec<Case>,
    pub sources: Vec<Source>,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QdaCode {
    pub guid: String,
    pub name: String,
    pub description: String,
    pub colour: Option<String>,
    pub parent: Option<String>,
    pub note_refs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Case {
    pub guid: String,
    pub name: String,
    /// (variable guid, value).
    pub values: Vec<(String, String)>,
    /// Guids of the case's sources.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    pub guid: String,
    pub name: String,
    pub text: String,
    pub selections: Vec<Selection>,
    pub note_refs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub guid: String,
    pub name: String,
    /// In characters of the source's text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// What the analyst wrote about the selection.
    pub description: String,
    /// Guids of the codes applied to it.
    pub codes: Vec<String>,
    pub note_refs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Note {
    pub guid: String,
    pub name: String,
    pub text: String,
}

impl Source {
    /// Whether focusboard marked the selection as a quote (its name says so).
    pub fn is_quote(s: &Selection) -> bool {
        s.name == "quote" || s.name == "quote (whole reply)"
    }

    /// The selection spanning the whole text, where codings of the whole source go.
    fn whole(&mut self) -> &mut Selection {
        let len = self.text.chars().count();
        let at = match self.selections.iter().position(|s| s.start == 0 && s.end == len && s.guid.is_empty()) {
            Some(i) => i,
            None => {
                self.selections.push(Selection { end: len, ..Default::default() });
                self.selections.len() - 1
            }
        };
        &mut self.selections[at]
    }
}

fn attributes(e: &BytesStart) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| format!("An element has a malformed attribute: {e}"))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("An element has a malformed attribute: {e}"))?
            .to_string();
        out.insert(attr.key.local_name().as_ref().to_string(), value);
    }
    Ok(out)
}

/// Reads a .qdpx file.
pub fn read_project(bytes: &[u8]) -> Result<Project, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "This is not a REFI-QDA project: a .qdpx file is a ZIP archive.".to_string())?;
    let mut budget = MAX_UNPACKED;
    let mut read = |zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str| -> Result<Option<String>, String> {
        let Ok(file) = zip.by_name(name) else { return Ok(None) };
        let mut text = String::new();
        let mut limited = file.take(budget + 1);
        limited.read_to_string(&mut text).map_err(|_| format!("{name} in the project is not UTF-8 text."))?;
        if text.len() as u64 > budget {
            return Err("The project unpacks to more than 256 MB.".into());
        }
        budget -= text.len() as u64;
        Ok(Some(text))
    };
    let qde = read(&mut zip, "project.qde")?.ok_or("The archive has no project.qde: it is not a REFI-QDA project.")?;
    let mut project = parse_qde(&qde)?;
    for source in &mut project.sources {
        if let Some(path) = source.text.strip_prefix("internal://").map(str::to_string) {
            source.text = read(&mut zip, &format!("sources/{path}"))?.ok_or_else(|| {
                format!("The source \"{}\" refers to sources/{path}, which is not in the archive.", source.name)
            })?;
            // Whole-source codings were placed before the text was known.
            let len = source.text.chars().count();
            for s in source.selections.iter_mut().filter(|s| s.guid.is_empty()) {
                s.end = len;
            }
        }
    }
    Ok(project)
}

/// Which text an element's content goes to.
enum Target {
    Nothing,
    SourceDescription,
    SourceText,
    SelectionDescription,
    CodeDescription,
    NoteText,
    Value,
}

/// Reads project.qde. A source's text is left as `internal://<file>` when it is in a file.
pub fn parse_qde(xml: &str) -> Result<Project, String> {
    let mut reader = Reader::from_str(xml);
    let mut p = Project::default();
    let mut path: Vec<String> = Vec::new();
    let mut code_stack: Vec<String> = Vec::new();
    let mut into = Target::Nothing;
    let mut text = String::new();
    let mut in_selection = false;
    let mut saw_project = false;
    loop {
        let event = reader.read_event().map_err(|e| format!("project.qde is not well-formed XML: {e}"))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name().as_ref().to_string();
                let a = attributes(e)?;
                let get = |k: &str| a.get(k).cloned().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                match name.as_str() {
                    "Project" => saw_project = true,
                    "User" => p.users.push((get("guid"), get("name"))),
                    "Code" => {
                        p.codes.push(QdaCode {
                            guid: get("guid"),
                            name: get("name").trim().to_string(),
                            description: String::new(),
                            colour: a.get("color").and_then(|c| super::codebook::normalise_colour(c)),
                            parent: code_stack.last().cloned(),
                            note_refs: vec![],
                        });
                        if !empty {
                            code_stack.push(get("guid"));
                        }
                    }
                    "Variable" => p.variables.push((get("guid"), get("name"))),
                    "Case" => p.cases.push(Case { guid: get("guid"), name: get("name"), ..Default::default() }),
                    "VariableRef" if parent == "VariableValue" => {
                        if let Some(case) = p.cases.last_mut().filter(|_| path.iter().any(|x| x == "Case")) {
                            case.values.push((get("targetGUID"), String::new()));
                        }
                    }
                    "SourceRef" if parent == "Case" => {
                        if let Some(case) = p.cases.last_mut() {
                            case.sources.push(get("targetGUID"));
                        }
                    }
                    "TextSource" => {
                        let file = a.get("plainTextPath").cloned().unwrap_or_default();
                        p.sources.push(Source {
                            guid: get("guid"),
                            name: get("name"),
                            text: file,
                            ..Default::default()
                        });
                    }
                    "PlainTextSelection" => {
                        let pos = |k: &str| {
                            a.get(k).and_then(|v| v.trim().parse::<usize>().ok()).ok_or_else(|| {
                                format!(
                                    "A selection of \"{}\" has no valid {k}.",
                                    p.sources.last().map_or("", |s| &s.name)
                                )
                            })
                        };
                        let (start, end) = (pos("startPosition")?, pos("endPosition")?);
                        if end < start {
                            return Err("A selection ends before it starts.".into());
                        }
                        let source = p.sources.last_mut().ok_or("A selection is outside any source.")?;
                        source.selections.push(Selection {
                            guid: get("guid"),
                            name: get("name"),
                            start,
                            end,
                            ..Default::default()
                        });
                        in_selection = !empty;
                    }
                    "CodeRef" if path.iter().any(|x| x == "Coding") => {
                        let code = get("targetGUID");
                        if let Some(source) = p.sources.last_mut().filter(|_| path.iter().any(|x| x == "TextSource")) {
                            // Outside a selection, a coding of the whole source: a selection of
                            // all its text.
                            let selection = match in_selection {
                                true => source.selections.last_mut(),
                                false => Some(source.whole()),
                            };
                            if let Some(s) = selection {
                                s.codes.push(code);
                            }
                        }
                    }
                    "NoteRef" => {
                        let note = get("targetGUID");
                        match parent {
                            "PlainTextSelection" => {
                                if let Some(s) = p.sources.last_mut().and_then(|s| s.selections.last_mut()) {
                                    s.note_refs.push(note);
                                }
                            }
                            "TextSource" => {
                                if let Some(s) = p.sources.last_mut() {
                                    s.note_refs.push(note);
                                }
                            }
                            "Code" => {
                                if let Some(c) = p.codes.last_mut() {
                                    c.note_refs.push(note);
                                }
                            }
                            _ => {}
                        }
                    }
                    "Note" => p.notes.push(Note { guid: get("guid"), name: get("name"), text: String::new() }),
                    "Description" if !empty => {
                        into = match parent {
                            "PlainTextSelection" => Target::SelectionDescription,
                            "TextSource" => Target::SourceDescription,
                            "Code" => Target::CodeDescription,
                            _ => Target::Nothing,
                        }
                    }
                    "PlainTextContent" if !empty => {
                        into = match parent {
                            "TextSource" => Target::SourceText,
                            "Note" => Target::NoteText,
                            _ => Target::Nothing,
                        }
                    }
                    "TextValue" | "BooleanValue" | "IntegerValue" | "FloatValue" | "DateValue" | "DateTimeValue"
                        if !empty =>
                    {
                        into = Target::Value
                    }
                    _ => {}
                }
                if !empty {
                    path.push(name);
                }
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => {
                let entity = format!("&{};", &*r);
                let resolved = quick_xml::escape::unescape(&entity).map_err(|e| format!("An unknown entity: {e}"))?;
                text.push_str(&resolved);
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_string();
                match std::mem::replace(&mut into, Target::Nothing) {
                    Target::SourceText => {
                        if let Some(s) = p.sources.last_mut() {
                            s.text = std::mem::take(&mut text);
                            let len = s.text.chars().count();
                            for sel in s.selections.iter_mut().filter(|s| s.guid.is_empty()) {
                                sel.end = len;
                            }
                        }
                    }
                    Target::SelectionDescription => {
                        if let Some(s) = p.sources.last_mut().and_then(|s| s.selections.last_mut()) {
                            s.description = std::mem::take(&mut text);
                        }
                    }
                    Target::CodeDescription => {
                        // The code the description is in is the innermost one still open.
                        let open = code_stack.last().cloned();
                        if let Some(c) = p.codes.iter_mut().rev().find(|c| Some(&c.guid) == open.as_ref()) {
                            c.description = std::mem::take(&mut text);
                        }
                    }
                    Target::NoteText => {
                        if let Some(n) = p.notes.last_mut() {
                            n.text = std::mem::take(&mut text);
                        }
                    }
                    Target::Value => {
                        if let Some((_, v)) = p.cases.last_mut().and_then(|c| c.values.last_mut()) {
                            *v = std::mem::take(&mut text);
                        }
                    }
                    Target::SourceDescription | Target::Nothing => {}
                }
                match name.as_str() {
                    "Code" => {
                        code_stack.pop();
                    }
                    "PlainTextSelection" => in_selection = false,
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_project {
        return Err("project.qde has no Project element: it is not a REFI-QDA project.".into());
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape other programs write: inline text, a coding on the whole source, a selection
    /// with a note.
    #[test]
    fn reads_inline_sources_and_whole_source_codings() {
        let qde = r#"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x">
  <CodeBook><Codes><Code guid="c1" name="Hope" isCodable="true"><Code guid="c2" name="Fear" isCodable="true"/></Code></Codes></CodeBook>
  <Variables><Variable guid="v1" name="Role" typeOfVariable="Text"/></Variables>
  <Cases><Case guid="k1" name="P01"><VariableValue><VariableRef targetGUID="v1"/><TextValue>Nurse &amp; GP</TextValue></VariableValue><SourceRef targetGUID="s1"/></Case></Cases>
  <Sources>
    <TextSource guid="s1" name="P01 · one">
      <PlainTextContent>Ünïcode text here</PlainTextContent>
      <PlainTextSelection guid="x1" startPosition="0" endPosition="7"><Description>About the word</Description><Coding guid="g1"><CodeRef targetGUID="c2"/></Coding><NoteRef targetGUID="n1"/></PlainTextSelection>
      <Coding guid="g2"><CodeRef targetGUID="c1"/></Coding>
    </TextSource>
  </Sources>
  <Notes><Note guid="n1" name="m"><PlainTextContent>A note</PlainTextContent></Note></Notes>
</Project>"#;
        let p = parse_qde(qde).unwrap();
        assert_eq!(p.codes[1].parent.as_deref(), Some("c1"));
        assert_eq!(p.cases[0].values, vec![("v1".to_string(), "Nurse & GP".to_string())]);
        assert_eq!(p.cases[0].sources, vec!["s1".to_string()]);
        let s = &p.sources[0];
        assert_eq!(s.text, "Ünïcode text here");
        assert_eq!(s.selections[0].codes, vec!["c2".to_string()]);
        assert_eq!(s.selections[0].description, "About the word");
        assert_eq!(s.selections[0].note_refs, vec!["n1".to_string()]);
        let whole = &s.selections[1];
        assert_eq!((whole.start, whole.end, whole.codes.clone()), (0, 17, vec!["c1".to_string()]));
        assert_eq!(p.notes[0].text, "A note");
    }

    #[test]
    fn refuses_what_is_not_a_project() {
        assert!(read_project(b"not a zip").is_err());
        assert!(parse_qde("<CodeBook/>").is_err());
    }
}
