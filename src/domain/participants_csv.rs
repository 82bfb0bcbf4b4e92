//! Reading a participant list from CSV: an `email` column, an optional `name` column, and any
//! further columns kept as attributes (professional role, organisation, group...). Every bad
//! row is reported by line and reason, so the moderator can fix the file and import it whole.

use super::email::EmailAddress;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const MAX_ROWS: usize = 5000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    pub line: u64,
    pub email: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParsedImport {
    pub attribute_columns: Vec<String>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
}

/// A problem with the file as a whole (no rows can be read at all).
pub fn parse(bytes: &[u8]) -> Result<ParsedImport, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("The file is empty: it needs a header row with an email column.".into());
    }
    if bytes.contains(&0) {
        return Err("This is not a CSV text file (it looks like a spreadsheet, image or other binary \
             file). Save the list as \"CSV UTF-8\" and upload that."
            .into());
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let header = reader.byte_headers().map_err(|e| format!("The header row cannot be read: {e}"))?.clone();
    let header: Vec<String> =
        header.iter().map(|h| String::from_utf8(h.to_vec())).collect::<Result<_, _>>().map_err(|_| not_utf8(1))?;
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.to_lowercase().as_str()));
    let email_col = find(&["email", "e-mail", "email address"]).ok_or("The header row has no \"email\" column.")?;
    let name_col = find(&["name", "full name"]);
    let attribute_cols: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != email_col && Some(*i) != name_col && !h.is_empty())
        .map(|(i, h)| (i, h.clone()))
        .collect();

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError { line, reason: format!("cannot be read as CSV: {e}") });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if rows.len() + errors.len() >= MAX_ROWS {
            return Err(format!("The file has more than {MAX_ROWS} rows; split it into parts."));
        }
        let fields: Vec<String> = match record.iter().map(|f| String::from_utf8(f.to_vec())).collect() {
            Ok(f) => f,
            Err(_) => {
                errors.push(RowError { line, reason: not_utf8(line) });
                continue;
            }
        };
        if fields.len() != header.len() {
            errors.push(RowError {
                line,
                reason: format!("has {} fields but the header has {}", fields.len(), header.len()),
            });
            continue;
        }
        let email = match EmailAddress::parse(&fields[email_col]) {
            Ok(e) => e,
            Err(why) => {
                errors.push(RowError { line, reason: why });
                continue;
            }
        };
        if let Some(first) = seen.get(email.as_str()) {
            errors.push(RowError { line, reason: format!("{} appears twice (first on line {first})", email.as_str()) });
            continue;
        }
        seen.insert(email.as_str().to_string(), line);
        let attributes = attribute_cols
            .iter()
            .filter(|(i, _)| !fields[*i].is_empty())
            .map(|(i, h)| (h.clone(), fields[*i].clone()))
            .collect();
        rows.push(ImportRow {
            line,
            email: email.as_str().to_string(),
            name: name_col.map(|i| fields[i].clone()).unwrap_or_default(),
            attributes,
        });
    }
    if rows.is_empty() && errors.is_empty() {
        return Err("The file has a header row but no participants.".into());
    }
    Ok(ParsedImport { attribute_columns: attribute_cols.into_iter().map(|(_, h)| h).collect(), rows, errors })
}

fn not_utf8(line: u64) -> String {
    format!("line {line} is not UTF-8 text; save the file as \"CSV UTF-8\" and try again")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_and_attributes() {
        let csv = "\u{feff}Email,Name,Professional role,Organisation\nann@nhs.net,Ann Lee,Nurse,NHS\nbob@council.gov.uk,Bob Ray,Social worker,\n";
        let p = parse(csv.as_bytes()).unwrap();
        assert!(p.errors.is_empty());
        assert_eq!(p.attribute_columns, vec!["Professional role", "Organisation"]);
        assert_eq!(p.rows[0].attributes["Organisation"], "NHS");
        assert!(!p.rows[1].attributes.contains_key("Organisation"));
        assert_eq!(p.rows[1].line, 3);
    }

    #[test]
    fn reports_each_bad_row_by_line() {
        let mut bytes =
            b"email,name\nann@nhs.net,Ann\n,No Email\nnot-an-email,X\nANN@nhs.net,Again\nok@x.org,One,Extra\n".to_vec();
        bytes.extend_from_slice(b"latin@x.org,Ren\xe9e\n");
        let p = parse(&bytes).unwrap();
        let lines: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7]);
        assert!(p.errors[0].reason.contains("missing"));
        assert!(p.errors[2].reason.contains("first on line 2"));
        assert!(p.errors[4].reason.contains("UTF-8"));
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn refuses_files_without_email_column_or_rows() {
        assert!(parse(b"name,role\nAnn,Nurse\n").unwrap_err().contains("email"));
        assert!(parse(b"").is_err());
        assert!(parse(b"email\n").is_err());
        assert!(parse(b"PK\x03\x04\x00\x00binary").unwrap_err().contains("not a CSV"));
    }
}
