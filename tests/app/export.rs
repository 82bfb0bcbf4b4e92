//! Every export parsed back and compared with what was posted and coded: CSV, XLSX, JSON, DOCX
//! by question and by participant, the quotes, and the REFI-QDA project validated against its
//! schema; the exporter's choices and redaction; the command line; who may export.

use crate::analysis::{add_member, analyst, assert_valid};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Read;

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP container");
    let mut file = zip.by_name(name).unwrap_or_else(|_| panic!("{name} in the container"));
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// The runs of a DOCX body as (paragraph style, text, italic).
fn docx_runs(bytes: &[u8]) -> Vec<(String, String, bool)> {
    let xml = unzip(bytes, "word/document.xml");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed WordprocessingML");
    let mut out = Vec::new();
    for p in doc.descendants().filter(|n| n.has_tag_name("p")) {
        let style = p
            .descendants()
            .find(|n| n.has_tag_name("pStyle"))
            .and_then(|n| n.attributes().next().map(|a| a.value().to_string()))
            .unwrap_or_default();
        for r in p.children().filter(|n| n.has_tag_name("r")) {
            let italic = r.descendants().any(|n| n.has_tag_name("i"));
            let text: String = r.descendants().filter(|n| n.has_tag_name("t")).filter_map(|n| n.text()).collect();
            out.push((style.clone(), text, italic));
        }
    }
    out
}

crate::on_both_databases!(
    csv_has_the_chosen_rows_pseudonymous_and_formula_safe,
    xlsx_holds_the_same_rows_and_the_other_sheets,
    json_and_docx_carry_codes_memos_and_quotes,
    refi_qda_project_has_cases_sources_selections_and_notes,
    refi_qda_project_round_trips,
    docx_reads_like_the_board,
    exports_open_in_libreoffice,
    exports_refuse_unknown_formats_and_other_people,
    command_line_writes_each_format
);

const REDACTED: &str = "[redacted] helped us a lot. Weekly calls kept us going.";
const QUOTE: &str = "Weekly calls kept us going";
const ALL_QUERY: &str = "format=csv&include_hidden=true&include_private=true&include_moderators=true";

/// A board with two participants' replies (one hidden, one probed, one private, one agreed
/// with), a ranking vote, and an analyst's codes, memo and quote.
struct Coded {
    app: TestApp,
    s: Seeded,
    m: Api,
    ann: Api,
    ana: Api,
    /// Ann's reply, coded whole with `immediate` and in part (the quote) with `applied`.
    a: String,
    immediate: String,
    applied: String,
}

impl Coded {
    async fn new(backend: Backend) -> Coded {
        let app = spawn(backend).await;
        let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
        let m = app.api_of("mod@example.org").await;
        let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
        let q = format!("/api/v1/questions/{}/posts", s.question);
        let ann_text = "John helped us a lot. Weekly calls kept us going.";
        let (_, a) = ann.post(&q, json!({"body_md": ann_text})).await;
        let (_, b) = bob.post(&q, json!({"body_md": "Rude remark"})).await;
        let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
        m.hide_post(&b, json!({"reason": "rude"})).await;
        m.probe(&a, json!({"body_md": "How?"})).await;
        let (_, private) = m.add_question(&s.stage, json!({"prompt_md": "Private?", "mode": "private"})).await;
        // Text a spreadsheet would run as a formula.
        ann.write_post(&private["id"].as_str().unwrap(), json!({"body_md": "=1+2 just for you"})).await;
        let (st, _) = bob.post(&format!("/api/v1/posts/{a}/agree"), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (_, ranking) = m
            .add_question(
                &s.stage,
                json!({"prompt_md": "Rank these", "kind": "ranking", "options": "Calls\nVisits", "mode": "open"}),
            )
            .await;
        let (st, _) = bob.vote(&ranking["id"].as_str().unwrap(), json!({"answer": {"ranking": [1, 0]}})).await;
        assert_eq!(st, StatusCode::OK);

        let ana = analyst(&app, &m, &s.board, "ana@example.org").await;
        ana.post(&format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "value-creation"})).await;
        let (_, codes) = ana.get(&format!("/api/v1/boards/{}/codes", s.board)).await;
        let code = |name: &str| {
            codes.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
        };
        let (immediate, applied) = (code("Immediate value"), code("Applied value"));
        ana.code_post(&a, json!({"code_ids": [immediate], "memo": "Strong example"})).await;
        let (st, _) = ana.code_post(&a, json!({"code_ids": [applied], "excerpt": QUOTE, "quote": true})).await;
        assert_eq!(st, StatusCode::CREATED);
        Coded { app, s, m, ann, ana, a, immediate, applied }
    }

    /// An export as the analyst downloads it: content type and bytes.
    async fn export(&self, query: &str) -> (String, Vec<u8>) {
        let (st, ct, bytes) = self.ana.download(&format!("/api/v1/boards/{}/export?{query}", self.s.board)).await;
        assert_eq!(st, StatusCode::OK, "{query}: {}", String::from_utf8_lossy(&bytes));
        (ct, bytes)
    }
}

const HEADER: [&str; 15] = [
    "board",
    "stage",
    "question",
    "post_id",
    "participant",
    "Role",
    "time",
    "source",
    "in_reply_to",
    "hidden",
    "text",
    "codes",
    "quotes",
    "agrees",
    "images",
];

fn col(name: &str) -> usize {
    HEADER.iter().position(|h| *h == name).unwrap()
}

/// CSV: by default participants' visible, non-private replies with codes and quotes; more when chosen.
async fn csv_has_the_chosen_rows_pseudonymous_and_formula_safe(backend: Backend) {
    let c = Coded::new(backend).await;
    // CSV: by default participants' visible, non-private replies, with codes and quotes.
    let (ct, bytes) = c.export("format=csv&redact=John").await;
    assert!(ct.starts_with("text/csv"));
    let (header, rows) = csv_rows(&bytes);
    assert_eq!(
        header,
        [
            "board",
            "stage",
            "question",
            "post_id",
            "participant",
            "Role",
            "time",
            "source",
            "in_reply_to",
            "hidden",
            "text",
            "codes",
            "quotes",
            "agrees",
            "images"
        ]
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[0][col("participant")], "P01");
    assert_eq!(rows[0][col("Role")], "Nurse");
    assert_eq!(rows[0][col("text")], REDACTED);
    assert_eq!(rows[0][col("codes")], "Immediate value; Applied value");
    assert_eq!(rows[0][col("quotes")], QUOTE);
    assert_eq!(rows[0][col("time")], "2021-03-26T08:00:00+00:00");
    assert_eq!(rows[0][col("agrees")], "1");
    assert!(!rows.iter().flatten().any(|c| c.contains("ann@example.org") || c.contains("John")), "no names or emails");
    // Everything, when chosen; pseudonyms stable.
    let (_, all) = csv_rows(&c.export(ALL_QUERY).await.1);
    assert_eq!(
        all.iter().map(|r| r[col("participant")].as_str()).collect::<Vec<_>>(),
        ["P01", "P02", "moderator", "P01"]
    );
    assert_eq!(all[1][col("hidden")], "hidden");
    assert!(all[2][col("in_reply_to")].starts_with("P01 "), "the probe answers P01");
    assert_eq!(all[3][col("text")], "'=1+2 just for you", "a formula is made inert in CSV");
    assert_eq!(all, csv_rows(&c.export(ALL_QUERY).await.1).1, "the same export twice");
}

/// XLSX: the CSV's rows kept as text, and the participants, codebook and votes on their own sheets.
async fn xlsx_holds_the_same_rows_and_the_other_sheets(backend: Backend) {
    use calamine::{Data, Reader as _};
    let c = Coded::new(backend).await;
    let (_, all) = csv_rows(&c.export(ALL_QUERY).await.1);
    // XLSX: the same rows, typed; the participants, votes and codebook on their own sheets.
    let (ct, bytes) = c.export(&ALL_QUERY.replace("csv", "xlsx")).await;
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("an XLSX workbook");
    let sheet = book.worksheet_range("Replies").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let mut header = HEADER.map(String::from).to_vec();
    header[col("time")] = "time (Europe/London)".into();
    assert_eq!(rows[0].iter().map(|c| c.to_string()).collect::<Vec<_>>(), header, "the time column names its zone");
    assert_eq!(rows[4][col("text")].to_string(), "=1+2 just for you", "XLSX keeps the text exactly, stored as text");
    for (i, csv_row) in all.iter().enumerate() {
        let x = rows[i + 1];
        for (j, value) in csv_row.iter().enumerate() {
            match j {
                j if j == col("time") => {
                    // A real date-time, the wall-clock time in London of the CSV's instant.
                    let Data::DateTime(when) = &x[j] else { panic!("a date-time, not {:?}", x[j]) };
                    let at =
                        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).unwrap();
                    // Excel counts days from 1899-12-30; the cell holds London's wall-clock time,
                    // which is what the CSV's offset says.
                    let local = time::PrimitiveDateTime::new(at.date(), at.time());
                    let epoch = time::macros::datetime!(1899-12-30 0:00);
                    let serial = (local - epoch).as_seconds_f64() / 86_400.0;
                    assert!((when.as_f64() - serial).abs() < 1e-6, "{value}: {} in London", when.as_f64());
                }
                j if j == col("agrees") => assert_eq!(x[j], Data::Float(value.parse().unwrap()), "a number"),
                j if j == col("text") && value.starts_with("'=") => {}
                _ => assert_eq!(&x[j].to_string(), value),
            }
        }
    }
    let people = book.worksheet_range("Participants").unwrap();
    assert_eq!(people.rows().map(|r| r[0].to_string()).collect::<Vec<_>>(), ["participant", "P01", "P02"]);
    assert_eq!(book.worksheet_range("Codebook").unwrap().rows().count(), 7);
    let votes = book.worksheet_range("Votes").unwrap();
    let first: Vec<String> = votes.rows().nth(1).unwrap()[..3].iter().map(|c| c.to_string()).collect();
    assert_eq!(first, ["Rank these", "P02", "1. Visits; 2. Calls"], "votes in words");
    assert!(matches!(votes.rows().nth(1).unwrap()[4], Data::DateTime(_)));
    // Every sheet: the header frozen, an autofilter over its rows, columns wider than the default.
    for n in 1..=4 {
        let xml = unzip(&bytes, &format!("xl/worksheets/sheet{n}.xml"));
        assert!(xml.contains("state=\"frozen\"") && xml.contains("ySplit=\"1\""), "sheet {n}: {xml}");
        assert!(xml.contains("<autoFilter ref=\"A1:"), "sheet {n}");
        assert!(xml.contains("<col ") && xml.contains("customWidth=\"1\""), "sheet {n}");
    }
}

/// JSON, DOCX (by question and by participant) and the quotes file.
async fn json_and_docx_carry_codes_memos_and_quotes(backend: Backend) {
    let c = Coded::new(backend).await;
    // JSON: the whole board, the excerpt's range pointing at the quote after redaction.
    let (_, bytes) = c.export("format=json&redact=John").await;
    let doc: Value = serde_json::from_slice(&bytes).expect("one JSON document");
    assert_eq!(doc["participants"][1]["id"], "P02");
    assert_eq!(doc["codebook"].as_array().unwrap().len(), 6);
    let post = &doc["posts"][0];
    assert_eq!(post["text"], REDACTED);
    assert_eq!(post["memos"][0]["body"], "Strong example");
    assert_eq!(post["memos"][0]["by"], "ana");
    assert_eq!(post["agrees"], 1);
    assert_eq!(doc["votes"][0]["participant"], "P02");
    assert_eq!(doc["votes"][0]["answer"], json!({"ranking": [1, 0]}));
    let ranged = post["excerpts"].as_array().unwrap().iter().find(|e| e["whole"] == false).unwrap();
    let (start, end) = (ranged["start"].as_u64().unwrap() as usize, ranged["end"].as_u64().unwrap() as usize);
    assert_eq!(REDACTED.chars().skip(start).take(end - start).collect::<String>(), QUOTE);
    assert_eq!(ranged["codings"][0]["code"], "Applied value");

    // DOCX by question: headings, the reply, the quote in italics and nothing else.
    let (ct, bytes) = c.export("format=docx&redact=John").await;
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let runs = docx_runs(&bytes);
    assert!(runs.iter().any(|(style, text, _)| style == "Heading2" && text == "What did you hope for?"));
    assert!(runs.iter().any(|(style, text, _)| style == "Heading1" && text == "Stage 1"));
    let italic: Vec<&str> = runs.iter().filter(|r| r.2).map(|r| r.1.as_str()).collect();
    assert_eq!(italic, [QUOTE]);
    let body: String = runs.iter().filter(|r| r.0.is_empty()).map(|r| r.1.as_str()).collect();
    assert!(body.contains(REDACTED), "{body}");
    assert!(!runs.iter().any(|r| r.1.contains("John") || r.1.contains("Rude")), "REDACTED, hidden left out");
    // DOCX by participant: a section per pseudonym.
    let runs = docx_runs(&c.export("format=docx-participants").await.1);
    let sections: Vec<&str> = runs.iter().filter(|r| r.0 == "Heading1").map(|r| r.1.as_str()).collect();
    assert_eq!(sections, ["P01", "P02"]);
    assert!(runs.iter().any(|r| r.1 == "Role: Nurse"));

    // The quotes with their pseudonymous ids.
    let (header, quotes) = csv_rows(&c.export("format=quotes").await.1);
    assert_eq!(header[..4], ["participant", "stage", "question", "quote"]);
    assert_eq!(quotes.len(), 1);
    assert_eq!((quotes[0][0].as_str(), quotes[0][3].as_str(), quotes[0][4].as_str()), ("P01", QUOTE, "Applied value"));
}

/// The REFI-QDA project, written the way NVivo, ATLAS.ti and MAXQDA write it: valid against the
/// schema; each reply's text a file in the archive; every coding, whole-reply ones included,
/// inside a selection; a memo on an excerpt as its selection's description, other memos as
/// notes; cases with their variables and replies; unique, readable source names.
async fn refi_qda_project_has_cases_sources_selections_and_notes(backend: Backend) {
    let c = Coded::new(backend).await;
    let (st, _) =
        c.ana.code_post(&c.a, json!({"code_ids": [c.immediate], "excerpt": "helped us", "memo": "About help"})).await;
    assert_eq!(st, StatusCode::CREATED);
    // A second answer of Ann's in the same question, a reply: its source needs a name of its own.
    c.ann.write_post(&c.s.question, json!({"body_md": "**And** more", "parent_id": c.a})).await;
    let (ct, bytes) = c.export("format=qdpx&redact=John").await;
    assert_eq!(ct, "application/zip");
    let qde = unzip(&bytes, "project.qde");
    assert_valid(qde.as_bytes(), "Project-mrt2019.xsd");
    let doc = roxmltree::Document::parse(&qde).unwrap();
    let cases: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("Case")).collect();
    assert_eq!(cases.iter().map(|c| c.attribute("name").unwrap()).collect::<Vec<_>>(), ["P01", "P02"]);
    assert!(cases[0].descendants().any(|n| n.has_tag_name("TextValue") && n.text() == Some("Nurse")));
    assert!(cases[0]
        .descendants()
        .any(|n| n.has_tag_name("SourceRef") && n.attribute("targetGUID") == Some(c.a.as_str())));
    assert!(!cases[1].descendants().any(|n| n.has_tag_name("SourceRef")), "Bob's only reply is hidden");

    let sources: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("TextSource")).collect();
    // Text in files, never inline; the file holds exactly the text.
    assert!(
        !qde.contains("PlainTextContent>John")
            && !sources.iter().any(|s| s.children().any(|n| n.has_tag_name("PlainTextContent")))
    );
    let source = sources.iter().find(|n| n.attribute("guid") == Some(c.a.as_str())).unwrap();
    assert_eq!(source.attribute("plainTextPath"), Some(format!("internal://{}.txt", c.a).as_str()));
    let content = unzip(&bytes, &format!("sources/{}.txt", c.a));
    assert_eq!(content, REDACTED);
    for s in &sources {
        let path = s.attribute("plainTextPath").unwrap().strip_prefix("internal://").unwrap();
        unzip(&bytes, &format!("sources/{path}"));
    }
    // Names: pseudonym, stage, the question in plain words, numbered when they repeat.
    let names: Vec<&str> = sources.iter().map(|s| s.attribute("name").unwrap()).collect();
    let unique: std::collections::HashSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(names.contains(&"P01 · Stage 1 · What did you hope for?"), "{names:?}");
    assert!(names.contains(&"P01 · Stage 1 · What did you hope for? (2)"), "{names:?}");
    assert!(names.iter().all(|n| !n.contains('*')), "{names:?}");

    // Every coding sits in a selection.
    assert!(sources.iter().all(|s| !s.children().any(|n| n.has_tag_name("Coding"))));
    let selections: Vec<roxmltree::Node> = source.children().filter(|n| n.has_tag_name("PlainTextSelection")).collect();
    let span = |n: &roxmltree::Node| -> (usize, usize) {
        (n.attribute("startPosition").unwrap().parse().unwrap(), n.attribute("endPosition").unwrap().parse().unwrap())
    };
    let code_refs = |n: &roxmltree::Node| -> Vec<String> {
        n.descendants()
            .filter(|x| x.has_tag_name("CodeRef"))
            .map(|x| x.attribute("targetGUID").unwrap().to_string())
            .collect()
    };
    let text_of = |(a, b): (usize, usize)| content.chars().skip(a).take(b - a).collect::<String>();
    let whole = selections.iter().find(|n| span(n) == (0, content.chars().count())).expect("a whole-reply selection");
    assert_eq!(code_refs(whole), vec![c.immediate.clone()], "the whole-reply coding is a selection of all the text");
    let quote = selections.iter().find(|n| text_of(span(n)) == QUOTE).unwrap();
    assert_eq!(code_refs(quote), vec![c.applied.clone()]);
    let helped = selections.iter().find(|n| text_of(span(n)) == "helped us").unwrap();
    let description = helped.children().find(|n| n.has_tag_name("Description")).and_then(|n| n.text());
    assert_eq!(description, Some("About help"), "a memo on an excerpt is its selection's description");
    let note_ref = source.children().find(|n| n.has_tag_name("NoteRef")).unwrap().attribute("targetGUID").unwrap();
    let note = doc.descendants().find(|n| n.has_tag_name("Note") && n.attribute("guid") == Some(note_ref)).unwrap();
    assert!(note.descendants().any(|n| n.text() == Some("Strong example")));
    assert!(!doc
        .descendants()
        .any(|n| n.has_tag_name("Note") && n.descendants().any(|t| t.text() == Some("About help"))));
    assert!(doc.descendants().any(|n| n.has_tag_name("User") && n.attribute("name") == Some("ana")));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("Code")).count(), 6);
}

/// A project exported by focusboard and read back by its own reader gives the same cases,
/// variables, sources, selections, codings and memos; imported onto the board it brings back
/// what was removed since, and adds nothing twice.
async fn refi_qda_project_round_trips(backend: Backend) {
    use focusboard::domain::refi_qda::read_project;
    let c = Coded::new(backend).await;
    c.ana.code_post(&c.a, json!({"code_ids": [c.immediate], "excerpt": "helped us", "memo": "About help"})).await;
    let (_, bytes) = c.export("format=qdpx").await;
    let project = read_project(&bytes).unwrap();
    assert_eq!(project.cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["P01", "P02"]);
    let role = project.variables.iter().find(|(_, n)| n == "Role").unwrap().0.clone();
    assert_eq!(project.cases[0].values, vec![(role, "Nurse".to_string())]);
    assert_eq!(project.cases[0].sources, vec![c.a.clone()]);
    let source = project.sources.iter().find(|s| s.guid == c.a).unwrap();
    assert_eq!(source.text, "John helped us a lot. Weekly calls kept us going.");
    // The board's own view of the same reply, from the coding page's JSON.
    let (_, page) = c.ana.get(&format!("/api/v1/questions/{}/coding", c.s.question)).await;
    let excerpts: Vec<Value> = page
        .to_string()
        .contains("excerpts")
        .then(|| {
            let mut found = Vec::new();
            collect_excerpts(&page, &c.a, &mut found);
            found
        })
        .unwrap();
    assert_eq!(source.selections.len(), excerpts.len(), "{excerpts:?}");
    for e in &excerpts {
        let (start, end) = match (e["start"].as_u64(), e["end"].as_u64()) {
            (Some(s), Some(t)) => (s as usize, t as usize),
            _ => (0, source.text.chars().count()),
        };
        let sel = source.selections.iter().find(|s| (s.start, s.end) == (start, end)).unwrap();
        let mut want: Vec<String> =
            e["codings"].as_array().unwrap().iter().map(|c| c["code_id"].as_str().unwrap().to_string()).collect();
        let mut got = sel.codes.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
    assert_eq!(source.selections.iter().find(|s| !s.description.is_empty()).unwrap().description, "About help");
    let note = &project.notes.iter().find(|n| source.note_refs.contains(&n.guid)).unwrap().text;
    assert_eq!(note, "Strong example");
    assert_eq!(project.codes.len(), 6);
    let import = format!("/api/v1/boards/{}/project/import", c.s.board);

    // Imported as it is: nothing new.
    let (st, result) = c.ana.post_raw(&import, "application/zip", bytes.clone()).await;
    assert_eq!(st, StatusCode::OK, "{result}");
    assert_eq!(
        (result["sources_matched"].as_u64(), result["codings_added"].as_u64(), result["memos_added"].as_u64()),
        (Some(project.sources.len() as u64), Some(0), Some(0)),
        "{result}"
    );
    // Codings removed here since come back from the file: the quote's, and the one on "helped
    // us" with its excerpt; that one's memo stayed on the reply and is not written twice.
    for text in [QUOTE, "helped us"] {
        let e = excerpts.iter().find(|e| e["text"] == text).unwrap();
        let coding = e["codings"][0]["id"].as_str().unwrap();
        assert_eq!(c.ana.delete(&format!("/api/v1/codings/{coding}")).await, StatusCode::NO_CONTENT);
    }
    // And the quote mark taken off: the project's "quote" selection puts it back.
    let quote_id = excerpts.iter().find(|e| e["text"] == QUOTE).unwrap()["id"].as_str().unwrap().to_string();
    c.ana.put(&format!("/api/v1/excerpts/{quote_id}/quote"), json!({"quote": false})).await;
    let (st, result) = c.ana.post_raw(&import, "application/zip", bytes.clone()).await;
    assert_eq!(st, StatusCode::OK);
    let counts = |r: &Value| (r["codings_added"].as_u64(), r["excerpts_added"].as_u64(), r["memos_added"].as_u64());
    // Both excerpts went (the quote's with its mark), and both come back.
    assert_eq!(counts(&result), (Some(2), Some(2), Some(0)), "{result}");
    let (_, result) = c.ana.post_raw(&import, "application/zip", bytes.clone()).await;
    assert_eq!(counts(&result), (Some(0), Some(0), Some(0)), "a second import adds nothing: {result}");
    let (_, again) = c.ana.get(&format!("/api/v1/questions/{}/coding", c.s.question)).await;
    let mut now = Vec::new();
    collect_excerpts(&again, &c.a, &mut now);
    let quote = now.iter().find(|e| e["text"] == QUOTE).expect("the quote's excerpt");
    assert_eq!(quote["is_quote"], true, "{quote}");
    // A redacted export's texts differ from the replies: left out, and said so.
    let (_, redacted) = c.export("format=qdpx&redact=John").await;
    let (_, result) = c.ana.post_raw(&import, "application/zip", redacted).await;
    assert_eq!(result["sources_changed"], 1, "{result}");
    // Not a project: refused beside the field.
    let (st, problem) = c.ana.post_raw(&import, "application/zip", b"PK not really".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "file");
    // Participants may not import.
    assert_eq!(c.ann.post_raw(&import, "application/zip", bytes).await.0, StatusCode::FORBIDDEN);
}

/// The excerpts of one reply anywhere in a coding page's JSON.
fn collect_excerpts(v: &Value, post: &str, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            if map.get("post_id").and_then(Value::as_str) == Some(post) && map.contains_key("codings") {
                out.push(v.clone());
            }
            map.values().for_each(|x| collect_excerpts(x, post, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_excerpts(x, post, out)),
        _ => {}
    }
}

/// Unknown formats, and people who may not export; the page's download is a named attachment.
async fn exports_refuse_unknown_formats_and_other_people(backend: Backend) {
    let c = Coded::new(backend).await;
    // Unknown formats are refused with the list of formats.
    let (st, problem) = c.ana.get(&format!("/api/v1/boards/{}/export?format=pdf", c.s.board)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().unwrap().contains("qdpx"));

    // Who may export: analysts, moderators, administrators of this board only.
    add_member(&c.m, &c.s.board, &c.app.create_user("obs@example.org", false).await.email, "observer").await;
    let obs = c.app.api_of("obs@example.org").await;
    assert_eq!(obs.get(&format!("/api/v1/boards/{}/export", c.s.board)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(c.ann.get(&format!("/api/v1/boards/{}/export", c.s.board)).await.0, StatusCode::FORBIDDEN);
    let other = c.app.staff_api("other@example.org", false).await;
    assert_eq!(other.get(&format!("/api/v1/boards/{}/export", c.s.board)).await.0, StatusCode::NOT_FOUND);

    // The page's download: a named attachment.
    let page = c.app.signed_in("mod@example.org").await;
    let res = page.get(&format!("/boards/{}/export?format=docx-participants", c.s.board)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers().get("content-disposition").unwrap().to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment") && disposition.contains("-by-participant.docx"), "{disposition}");
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
}

/// The command line, against the same database: a file per format.
async fn command_line_writes_each_format(backend: Backend) {
    let c = Coded::new(backend).await;
    // The command line, against the same database: a file per format.
    let dir = tempfile::tempdir().unwrap();
    for (format, file) in [("json", "board.json"), ("xlsx", "board.xlsx"), ("qdpx", "board.qdpx")] {
        let out = dir.path().join(file);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_focusboard"))
            .args([
                "export",
                "--board",
                &c.s.board,
                "--format",
                format,
                "--output",
                out.to_str().unwrap(),
                "--redact",
                "John",
            ])
            .env("FOCUSBOARD_DATABASE_URL", &c.app.database_url)
            .env("FOCUSBOARD_DATA_DIR", dir.path())
            .env("FOCUSBOARD_LOG", "warn")
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(dir.path().join("board.json")).unwrap()).unwrap();
    assert_eq!(doc["posts"][0]["participant"], "P01");
    assert_eq!(doc["posts"][0]["text"], REDACTED);
    assert_valid(
        unzip(&std::fs::read(dir.path().join("board.qdpx")).unwrap(), "project.qde").as_bytes(),
        "Project-mrt2019.xsd",
    );
    use calamine::Reader as _;
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(std::fs::read(dir.path().join("board.xlsx")).unwrap())).unwrap();
    assert_eq!(book.worksheet_range("Replies").unwrap().rows().count(), 2);
}

/// A transcript reads like the board: markdown as Word formatting (never literal asterisks),
/// a poll's results with each participant's answer and comment, images in the document with
/// their descriptions as captions.
async fn docx_reads_like_the_board(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    m.patch(
        &format!("/api/v1/questions/{}", s.question),
        json!({"prompt_md": "What did you hope for?", "allow_images": true}),
    )
    .await;
    let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    let text =
        "We **really** liked *the calls*.\n\n- one thing\n- [another](https://example.org/more)\n\n> as someone said";
    let (_, post) = ann.write_post(&s.question, json!({"body_md": text})).await;
    let (st, _) = ann
        .upload(
            &format!("/api/v1/posts/{}/images?alt=Our%20ward%20at%20night", post["id"].as_str().unwrap()),
            png(800, 400),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, poll) = m
        .add_question(
            &s.stage,
            json!({"prompt_md": "Which pillar?", "kind": "single_choice", "options": ["Momentum", "Progress"]}),
        )
        .await;
    let poll = poll["id"].as_str().unwrap().to_string();
    ann.vote(&poll, json!({"answer": {"choice": 0}, "comment_md": "Momentum *keeps* us going"})).await;
    bob.vote(&poll, json!({"answer": {"choice": 1}})).await;
    let ana = analyst(&app, &m, &s.board, "ana@example.org").await;
    let (_, bytes, _) = {
        let (st, ct, bytes) = ana.download(&format!("/api/v1/boards/{}/export?format=docx", s.board)).await;
        assert_eq!(st, StatusCode::OK);
        (st, bytes, ct)
    };
    let xml = unzip(&bytes, "word/document.xml");
    assert!(!xml.contains("**") && !xml.contains("*the calls*") && !xml.contains("[another]"), "no markdown left");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let run_with = |text: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("r"))
            .find(|r| {
                r.descendants().filter(|t| t.has_tag_name("t")).filter_map(|t| t.text()).collect::<String>() == text
            })
            .unwrap_or_else(|| panic!("a run {text:?} in {xml}"))
    };
    let has = |r: roxmltree::Node, tag: &str| r.descendants().any(|n| n.has_tag_name(tag));
    assert!(has(run_with("really"), "b") && !has(run_with("really"), "i"), "bold where the markdown had it");
    assert!(has(run_with("the calls"), "i") && !has(run_with("the calls"), "b"), "italics where the markdown had them");
    assert!(has(run_with("keeps"), "i"), "the poll comment is formatted too");
    // Lists, quotes and links as Word makes them.
    let styles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("pStyle"))
        .filter_map(|n| n.attributes().find(|a| a.name() == "val").map(|a| a.value()))
        .collect();
    assert_eq!(styles.iter().filter(|s| **s == "ListParagraph").count(), 2, "{styles:?}");
    assert!(styles.contains(&"Quote"));
    let link = doc.descendants().find(|n| n.has_tag_name("hyperlink")).unwrap();
    let rid = link.attributes().find(|a| a.name() == "id").unwrap().value().to_string();
    let rels = unzip(&bytes, "word/_rels/document.xml.rels");
    assert!(rels.contains(&format!("Id=\"{rid}\"")) && rels.contains("https://example.org/more"), "{rels}");
    // The poll: counts, each answer, never "No replies".
    let all: String =
        doc.descendants().filter(|n| n.has_tag_name("t")).filter_map(|t| t.text()).collect::<Vec<_>>().join("|");
    assert!(all.contains("Results: 2 votes"), "{all}");
    assert!(all.contains("Momentum: 1 (50%)") && all.contains("Progress: 1 (50%)"), "{all}");
    assert!(all.contains("P01|: Momentum") && all.contains("P02|: Progress"), "{all}");
    assert!(all.contains("answered: Momentum"), "the comment says what it answered: {all}");
    assert!(!all.contains("No replies"), "{all}");
    // The image is in the document, with its description.
    assert!(!all.contains("[Image:"), "{all}");
    let pic = doc.descendants().find(|n| n.has_tag_name("docPr")).unwrap();
    assert_eq!(pic.attribute("descr"), Some("Our ward at night"));
    assert!(all.contains("Our ward at night"), "a caption");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut media = Vec::new();
    zip.by_name("word/media/image1.png").expect("the image in the package").read_to_end(&mut media).unwrap();
    assert_eq!(image::load_from_memory(&media).unwrap().width(), 800);
    assert!(unzip(&bytes, "[Content_Types].xml").contains("Extension=\"png\""));
}

/// The transcript and the workbook open in LibreOffice (installed by scripts/test), the program
/// many analysts use, and read back there as written: converted by `soffice --headless`.
async fn exports_open_in_libreoffice(backend: Backend) {
    let c = Coded::new(backend).await;
    c.ann.write_post(&c.s.question, json!({"body_md": "A **bold** claim with a [link](https://example.org) and\n\n- a list item", "parent_id": c.a})).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, docx) = c.export("format=docx").await;
    let (_, xlsx) = c.export("format=xlsx").await;
    std::fs::write(dir.path().join("board.docx"), docx).unwrap();
    std::fs::write(dir.path().join("board.xlsx"), xlsx).unwrap();
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("profile").display());
    for (file, to) in
        [("board.docx", "txt:Text (encoded):UTF8"), ("board.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76,1")]
    {
        let run = std::process::Command::new("soffice")
            .args([profile.as_str(), "--headless", "--convert-to", to, "--outdir"])
            .arg(dir.path())
            .arg(dir.path().join(file))
            .output()
            .expect("LibreOffice (soffice) is installed by scripts/test");
        assert!(run.status.success(), "{file}: {}", String::from_utf8_lossy(&run.stderr));
    }
    let text = std::fs::read_to_string(dir.path().join("board.txt")).expect("the transcript converted");
    assert!(text.contains("John helped us a lot. Weekly calls kept us going."), "{text}");
    assert!(text.contains("A bold claim with a link and") && !text.contains("**"), "{text}");
    assert!(text.contains("a list item"), "{text}");
    let csv = std::fs::read_to_string(dir.path().join("board.csv")).expect("the workbook converted");
    assert!(csv.contains("John helped us a lot"), "{csv}");
    assert!(csv.contains("2021-03-26 08:00"), "times as date-times: {csv}");
}
