//! Analysts' work through the API and the pages: the codebook (templates, .qdc out and back
//! in, validated against the REFI-QDA codebook schema), coding whole replies and excerpts by
//! several analysts, quotes, memos, and the counts of the report.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Validates an XML document against one of the REFI-QDA schemas with xmllint.
pub fn assert_valid(xml: &[u8], schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let xsd = format!("{}/tests/support/refi-qda/{schema}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &xsd, file.to_str().unwrap()])
        .output()
        .expect("xmllint (Debian libxml2-utils; scripts/test installs it)");
    assert!(
        out.status.success(),
        "{schema}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&xml[..xml.len().min(3000)])
    );
}

/// A new account named after its email's local part, made an analyst of the board.
pub async fn analyst(app: &TestApp, m: &Api, board: &str, email: &str) -> Api {
    let api = app.staff_api(email, false).await;
    let (address, name) = (email.to_string(), email.split('@').next().unwrap().to_string());
    app.with_db(move |conn, _| {
        use diesel::prelude::*;
        use focusboard::db::schema::users;
        diesel::update(users::table.filter(users::email.eq(address))).set(users::name.eq(name)).execute(conn)?;
        Ok(())
    })
    .await;
    add_member(m, board, email, "analyst").await;
    api
}

pub async fn add_member(m: &Api, board: &str, email: &str, role: &str) {
    let (st, body) = m.put(&format!("/api/v1/boards/{board}/members"), json!({"email": email, "role": role})).await;
    assert!(st.is_success(), "{st} {body}");
}

fn names(codes: &Value) -> Vec<(String, u64)> {
    codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["depth"].as_u64().unwrap()))
        .collect()
}

crate::on_both_databases!(
    codebook_templates_and_own_codes,
    refi_qda_codebook_round_trip_and_refusals,
    codebook_page_imports_edits_and_deletes,
    codings_that_do_not_fit_are_refused,
    coding_view_filters_and_report_counts,
    removing_a_coding_keeps_what_others_coded,
    coding_and_report_pages,
    analysis_api_refuses_who_may_not_code,
    analysis_api_serves_who_may_code,
    analysis_pages_refuse_who_may_not_code
);

/// A board whose analyst applied two templates (one twice) and added a code of their own, with
/// a memo, refusing bad input on the way.
async fn codebook_with_templates_and_own_code(backend: Backend) -> (TestApp, Seeded, Api, Api) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let ana = analyst(&app, &m, &s.board, "ana@example.org").await;
    let codes_url = format!("/api/v1/boards/{}/codes", s.board);

    let (st, added) =
        ana.post(&format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "value-creation"})).await;
    assert_eq!(st, StatusCode::OK, "{added}");
    assert_eq!(added["added"], 6);
    let (_, again) =
        ana.post(&format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "value-creation"})).await;
    assert_eq!(again["added"], 0, "a template applied twice adds nothing");
    ana.post(&format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "four-pillars"})).await;
    let (_, codes) = ana.get(&codes_url).await;
    let tree = names(&codes);
    assert_eq!(tree.len(), 11);
    assert_eq!(tree[0], ("Value creation cycles".to_string(), 0));
    assert_eq!(tree[1], ("Immediate value".to_string(), 1));
    assert_eq!(tree[5], ("Reframing value".to_string(), 1));
    assert_eq!(tree[6], ("Four pillars".to_string(), 0));
    assert!(tree.iter().any(|(n, d)| n == "Nurturing culture and principles" && *d == 1));

    // A code of one's own, with bad input refused and nothing lost.
    let (st, own) =
        ana.post(&codes_url, json!({"name": "Workload", "description": "Time & pressure <b>", "colour": "#C00"})).await;
    assert_eq!(st, StatusCode::CREATED, "{own}");
    assert_eq!(own["colour"], "#cc0000");
    assert_eq!(ana.post(&codes_url, json!({"name": "workload"})).await.0, StatusCode::CONFLICT);
    let (st, problem) = ana.post(&codes_url, json!({"name": "Red", "colour": "red"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().unwrap().contains("#rrggbb"));
    let parent = codes[0]["id"].as_str().unwrap();
    let child = codes[1]["id"].as_str().unwrap();
    let (st, _) =
        ana.put(&format!("/api/v1/codes/{parent}"), json!({"name": "Value creation cycles", "parent_id": child})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a code cannot go inside its own child");
    let (st, moved) = ana
        .put(
            &format!("/api/v1/codes/{}", own["id"].as_str().unwrap()),
            json!({"name": "Workload", "description": "Time & pressure <b>", "parent_id": parent}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(moved["path"], "Value creation cycles › Workload");
    let (st, memo) =
        ana.post(&format!("/api/v1/codes/{parent}/memos"), json!({"body": "Use for all five cycles"})).await;
    assert_eq!(st, StatusCode::CREATED, "{memo}");
    (app, s, m, ana)
}

async fn codebook_templates_and_own_codes(backend: Backend) {
    let (_, s, _, ana) = codebook_with_templates_and_own_code(backend).await;
    let (_, codes) = ana.get(&format!("/api/v1/boards/{}/codes", s.board)).await;
    assert_eq!(codes.as_array().unwrap().len(), 12);
}

/// Out as a REFI-QDA codebook valid against the schema, back into another board with the same
/// tree; files that are not codebooks are refused with a reason and change nothing.
async fn refi_qda_codebook_round_trip_and_refusals(backend: Backend) {
    let (app, s, m, ana) = codebook_with_templates_and_own_code(backend).await;
    let codes_url = format!("/api/v1/boards/{}/codes", s.board);
    // Out as a REFI-QDA codebook, valid against the schema.
    let (st, ct, qdc) = ana.download(&format!("/api/v1/boards/{}/export?format=qdc", s.board)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("application/xml"));
    assert_valid(&qdc, "Codebook.xsd");
    let doc = String::from_utf8(qdc.clone()).unwrap();
    let parsed = roxmltree::Document::parse(&doc).unwrap();
    let workload = parsed.descendants().find(|n| n.attribute("name") == Some("Workload")).unwrap();
    assert_eq!(workload.parent_element().unwrap().attribute("name"), Some("Value creation cycles"), "the tree is kept");
    assert_eq!(
        workload.children().find(|n| n.has_tag_name("Description")).unwrap().text(),
        Some("Time & pressure <b>")
    );

    // And back in, into another board: the same tree.
    let other = app.board_with_question("mod@example.org", "open", &[]).await;
    add_member(&m, &other.board, "ana@example.org", "analyst").await;
    let ana2 = &ana;
    let (st, imported) =
        ana2.post_raw(&format!("/api/v1/boards/{}/codebook/import", other.board), "application/xml", qdc.clone()).await;
    assert_eq!(st, StatusCode::OK, "{imported}");
    assert_eq!(imported["added"], 12);
    let (_, copied) = ana2.get(&format!("/api/v1/boards/{}/codes", other.board)).await;
    assert_eq!(names(&copied), names(&ana.get(&codes_url).await.1));
    assert!(copied
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Workload" && c["colour"] == "#cc0000" && c["description"] == "Time & pressure <b>"));

    // Files that are not codebooks are refused with a reason, and change nothing.
    for (body, why) in [
        (b"<CodeBook><Codes><Code name='x'>".to_vec(), "ends inside a code"),
        (b"<Project name='p'/>".to_vec(), "no CodeBook"),
        (b"not xml at all".to_vec(), "no CodeBook"),
        (vec![0xff, 0xfe, 0x00], "UTF-8"),
    ] {
        let (st, problem) =
            ana2.post_raw(&format!("/api/v1/boards/{}/codebook/import", other.board), "application/xml", body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(why), "{problem}");
    }
    assert_eq!(ana2.get(&format!("/api/v1/boards/{}/codes", other.board)).await.1.as_array().unwrap().len(), 12);
}

/// The codebook page: templates, import by upload, the tree; editing and deleting a code.
async fn codebook_page_imports_edits_and_deletes(backend: Backend) {
    let (app, s, m, ana) = codebook_with_templates_and_own_code(backend).await;
    let (_, _, qdc) = ana.download(&format!("/api/v1/boards/{}/export?format=qdc", s.board)).await;
    // The page: templates, import by upload, the tree.
    let page = app.signed_in("ana@example.org").await;
    let html = page.get_ok(&format!("/boards/{}/codebook", s.board)).await;
    assert!(texts(&html, ".codebook .code strong").contains(&"Realised value".to_string()));
    let fresh = app.board_with_question("mod@example.org", "open", &[]).await;
    add_member(&m, &fresh.board, "ana@example.org", "analyst").await;
    // Codes added from the page one after another get distinct colours without choosing.
    let new_colour = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("#new-colour").unwrap();
        doc.select(&sel).next().and_then(|e| e.value().attr("value")).unwrap().to_string()
    };
    let codebook = format!("/boards/{}/codebook", fresh.board);
    let mut colours = Vec::new();
    for name in ["First", "Second"] {
        let colour = new_colour(&page.get_ok(&codebook).await);
        let res = page
            .submit(&codebook, &format!("/boards/{}/codes", fresh.board), &[("name", name), ("colour", &colour)])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        colours.push(colour);
    }
    assert_ne!(colours[0], colours[1], "{colours:?}");
    let (_, codes) = ana.get(&format!("/api/v1/boards/{}/codes", fresh.board)).await;
    for c in codes.as_array().unwrap() {
        ana.delete(&format!("/api/v1/codes/{}", c["id"].as_str().unwrap())).await;
    }
    let html = page.get_ok(&codebook).await;
    let form = reqwest::multipart::Form::new().text("csrf_token", csrf_of(&html)).part(
        "file",
        reqwest::multipart::Part::bytes(qdc).file_name("codebook.qdc").mime_str("application/xml").unwrap(),
    );
    let res = page
        .client
        .post(app.url(&format!("/boards/{}/codebook/import", fresh.board)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Added 12 codes."), "{html}");
    assert_eq!(texts(&html, ".codebook .code strong").len(), 12);
    // Edit a code from the page (rename, recolour, move to the top level), then delete one.
    let (_, fresh_codes) = ana.get(&format!("/api/v1/boards/{}/codes", fresh.board)).await;
    let workload = fresh_codes.as_array().unwrap().iter().find(|c| c["name"] == "Workload").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page_url = format!("/boards/{}/codebook", fresh.board);
    let res = page
        .submit(
            &page_url,
            &format!("/codes/{workload}"),
            &[("name", "Workload and time"), ("description", ""), ("colour", "#00aa00"), ("parent_id", "")],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(texts(&html, ".notice").contains(&"Saved the code \"Workload and time\".".to_string()), "{html}");
    let (_, after) = ana.get(&format!("/api/v1/boards/{}/codes", fresh.board)).await;
    let edited = after.as_array().unwrap().iter().find(|c| c["id"] == workload.as_str()).unwrap();
    assert_eq!(
        (edited["colour"].as_str(), edited["depth"].as_u64(), edited["parent_id"].is_null()),
        (Some("#00aa00"), Some(0), true)
    );
    let res = page.submit(&page_url, &format!("/codes/{workload}/delete"), &[]).await;
    assert!(res.text().await.unwrap().contains("Deleted the code"));
    assert_eq!(ana.get(&format!("/api/v1/boards/{}/codes", fresh.board)).await.1.as_array().unwrap().len(), 11);
}

/// Ann (a Nurse) and Bob (a Manager) have replied, Cat (a Nurse) not yet; two analysts have
/// coded: Ann's reply whole and in part (a quote, which Ben codes too), Bob's by its words with
/// a memo.
struct TwoCoders {
    app: TestApp,
    s: Seeded,
    ana: Api,
    ben: Api,
    /// Ann's and Bob's replies.
    a: String,
    b: String,
    codes: Value,
    immediate: String,
    applied: String,
    /// The excerpt of Ann's reply both analysts coded.
    shared: Value,
    /// Where participants post to the question.
    q: String,
}

impl TwoCoders {
    async fn new(backend: Backend) -> TwoCoders {
        let app = spawn(backend).await;
        let s = app
            .board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org", "cat@example.org"])
            .await;
        let m = app.api_of("mod@example.org").await;
        // Bob is a Manager; Ann and Cat stay Nurses.
        let bob_id = s.participants[1].1.clone();
        app.with_db(move |conn, _| {
            use diesel::prelude::*;
            use focusboard::db::schema::participants;
            diesel::update(participants::table.find(&bob_id))
                .set(participants::attributes.eq(r#"{"Role":"Manager"}"#))
                .execute(conn)?;
            Ok(())
        })
        .await;
        let q = format!("/api/v1/questions/{}/posts", s.question);
        let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
        let (_, a) = ann.post(&q, json!({"body_md": "Café talks helped. I now plan my week with the team."})).await;
        let (_, b) = bob.post(&q, json!({"body_md": "Mostly fun, and I plan better now."})).await;
        let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());

        let ana = analyst(&app, &m, &s.board, "ana@example.org").await;
        let ben = analyst(&app, &m, &s.board, "ben@example.org").await;
        ana.post(&format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "value-creation"})).await;
        let (_, codes) = ana.get(&format!("/api/v1/boards/{}/codes", s.board)).await;
        let code = |name: &str| {
            codes.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
        };
        let (immediate, applied) = (code("Immediate value"), code("Applied value"));

        // Whole reply; an excerpt by characters (é counts as one); an excerpt by its words.
        let (st, whole) = ana.code_post(&a, json!({"code_ids": [immediate]})).await;
        assert_eq!(st, StatusCode::CREATED, "{whole}");
        assert_eq!(whole["whole"], true);
        let (st, excerpt) =
        ana.code_post(&a, json!({"code_ids": [applied], "start": 19, "end": 48, "excerpt": "I now plan my week with the t", "quote": true})).await;
        assert_eq!(st, StatusCode::CREATED, "{excerpt}");
        assert_eq!(excerpt["text"], "I now plan my week with the t");
        assert_eq!(excerpt["is_quote"], true);
        let (st, by_words) = ben
            .code_post(
                &b,
                json!({"code_ids": [applied, immediate], "excerpt": "I plan better now", "memo": "Compare with P01"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{by_words}");
        assert_eq!((by_words["start"].as_i64(), by_words["end"].as_i64()), (Some(16), Some(33)));
        // The second analyst codes the same excerpt as the first: both codings stay, with who.
        let (_, shared) = ben.code_post(&a, json!({"code_ids": [immediate], "start": 19, "end": 48})).await;
        assert_eq!(shared["id"], excerpt["id"], "the same selection is one excerpt");
        let coders: Vec<&str> =
            shared["codings"].as_array().unwrap().iter().map(|c| c["by"].as_str().unwrap()).collect();
        assert_eq!(coders.len(), 2);
        TwoCoders { app, s, ana, ben, a, b, codes, immediate, applied, shared, q }
    }

    fn code(&self, name: &str) -> String {
        self.codes.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
    }
}

/// Selections that do not fit the reply, or code nothing, are refused with a reason.
async fn codings_that_do_not_fit_are_refused(backend: Backend) {
    let TwoCoders { ana, a, immediate, .. } = TwoCoders::new(backend).await;
    // Selections that do not fit are refused with a reason.
    let (st, p) = ana.code_post(&a, json!({"code_ids": [immediate], "start": 40, "end": 400})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("52 characters"), "{p}");
    let (st, _) = ana.code_post(&a, json!({"code_ids": [immediate], "start": 0, "end": 4, "excerpt": "Tea "})).await;
    assert_eq!(st, StatusCode::CONFLICT, "the text there is not what was selected");
    let (st, _) = ana.code_post(&a, json!({"code_ids": [immediate], "excerpt": "not in the reply"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = ana.code_post(&a, json!({"code_ids": ["no-such-code"]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = ana.code_post(&a, json!({})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "nothing to save");
}

/// The coding view (excerpts, codings with who, memos), its filters, and the counts of the
/// report per question, participant and code, by an attribute.
async fn coding_view_filters_and_report_counts(backend: Backend) {
    let c = TwoCoders::new(backend).await;
    let TwoCoders { app, s, ana, q, applied, .. } = &c;
    // The coding view: every reply with excerpts, codings (who, when) and memos.
    let (st, view) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert_eq!(st, StatusCode::OK);
    let replies = view["replies"].as_array().unwrap();
    assert_eq!(replies.iter().map(|r| r["participant"].as_str().unwrap()).collect::<Vec<_>>(), ["P01", "P02"]);
    assert_eq!(replies[0]["excerpts"].as_array().unwrap().len(), 2);
    assert_eq!(replies[1]["memos"][0]["body"], "Compare with P01");
    assert!(replies[1]["memos"][0]["by"].as_str().unwrap().contains("ben"), "{}", replies[1]["memos"]);
    // Filters: by code, and replies not coded yet.
    let (_, applied_only) = ana.get(&format!("/api/v1/questions/{}/coding?code={applied}", s.question)).await;
    assert_eq!((applied_only["replies"].as_array().unwrap().len(), applied_only["total"].as_u64()), (2, Some(2)));
    let cat = app.participant_api(s.link(2)).await;
    assert_eq!(cat.post(q, json!({"body_md": "Not coded yet"})).await.0, StatusCode::CREATED);
    let (_, uncoded) = ana.get(&format!("/api/v1/questions/{}/coding?uncoded=true", s.question)).await;
    assert_eq!(
        uncoded["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect::<Vec<_>>(),
        ["Not coded yet"]
    );

    // Counts: per question, answered of released to; per code, replies and participants, by Role.
    let (_, report) = ana.get(&format!("/api/v1/boards/{}/report?by=Role", s.board)).await;
    assert_eq!(report["questions"][0]["answered"], 3);
    assert_eq!(report["questions"][0]["released_to"], 3);
    assert_eq!(report["questions"][0]["coded"], 2, "Ann's and Bob's replies have codes, Cat's not");
    assert_eq!(report["questions"][0]["answered_by_value"], json!([1, 2]), "the Manager and both Nurses answered");
    assert_eq!(report["questions"][0]["released_by_value"], json!([1, 2]));
    let people: Vec<(&str, &str, i64, i64, i64)> = report["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["participant"].as_str().unwrap(),
                p["value"].as_str().unwrap(),
                p["answered"].as_i64().unwrap(),
                p["replies"].as_i64().unwrap(),
                p["coded"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(people, [("P01", "Nurse", 1, 1, 1), ("P02", "Manager", 1, 1, 1), ("P03", "Nurse", 1, 1, 0)]);
    assert_eq!(report["values"], json!(["Manager", "Nurse"]));
    assert_eq!(report["value_sizes"], json!([1, 2]));
    let count = |name: &str| {
        report["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    assert_eq!(
        (count("Immediate value")["replies"].as_i64(), count("Immediate value")["participants"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(count("Immediate value")["by_value"], json!([1, 1]));
    assert_eq!(count("Applied value")["by_value"], json!([1, 1]));
    assert_eq!(count("Realised value")["replies"], 0);
    let parent = &report["codes"][0];
    assert_eq!(parent["path"], "Value creation cycles");
    assert_eq!(
        (parent["replies"].as_i64(), parent["replies_in_tree"].as_i64(), parent["participants_in_tree"].as_i64()),
        (Some(0), Some(2), Some(2)),
        "sub-codes roll up"
    );
    assert_eq!(parent["by_value"], json!([1, 1]));
    assert_eq!(report["quotes"][0]["text"], "I now plan my week with the t");
    assert_eq!(report["quotes"][0]["participant"], "P01");
}

/// Removing one analyst's coding keeps the excerpt while it has other codes or is a quote.
async fn removing_a_coding_keeps_what_others_coded(backend: Backend) {
    let TwoCoders { s, ana, ben, shared, .. } = TwoCoders::new(backend).await;
    // Removing a coding: the excerpt stays while it has codes or is a quote.
    let ben_coding =
        shared["codings"].as_array().unwrap().iter().find(|c| c["by"].as_str().unwrap().contains("ben")).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(ben.delete(&format!("/api/v1/codings/{ben_coding}")).await, StatusCode::NO_CONTENT);
    let (_, report) = ana.get(&format!("/api/v1/boards/{}/report", s.board)).await;
    assert_eq!(
        report["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"].as_str().unwrap().ends_with("Immediate value"))
            .unwrap()["replies"],
        2,
        "Ann's whole reply keeps it"
    );
}

/// The pages: code by selecting in the coding page (the form carries the range), a memo alone,
/// a selection that does not fit, and the report page.
async fn coding_and_report_pages(backend: Backend) {
    let c = TwoCoders::new(backend).await;
    let TwoCoders { app, s, ana, q, b, immediate, .. } = &c;
    let code = |name: &str| c.code(name);
    let cat = app.participant_api(s.link(2)).await;
    assert_eq!(cat.post(q, json!({"body_md": "Not coded yet"})).await.0, StatusCode::CREATED);
    // The pages: code by selecting in the page (the form carries the range), and the report.
    let page = app.signed_in("ana@example.org").await;
    let coding_url = format!("/q/{}/coding", s.question);
    let html = page.get_ok(&coding_url).await;
    // The reply's text is whole (the selection counts its characters), with the words Ben coded
    // marked in their code's colour and named on hover.
    let doc = scraper::Html::parse_document(&html);
    let codable = scraper::Selector::parse(".codable").unwrap();
    let whole: Vec<String> = doc.select(&codable).map(|e| e.text().collect()).collect();
    assert!(whole.contains(&"Mostly fun, and I plan better now.".to_string()), "{whole:?}");
    let marks = scraper::Selector::parse(".codable mark").unwrap();
    let marked: Vec<(String, String)> = doc
        .select(&marks)
        .map(|m| (m.text().collect(), m.value().attr("title").unwrap_or_default().to_string()))
        .collect();
    assert!(
        marked.iter().any(|(t, codes)| t == "I plan better now"
            && codes.contains("Applied value")
            && codes.contains("Immediate value")),
        "{marked:?}"
    );
    let realised = code("Realised value");
    let res = page
        .submit(
            &coding_url,
            &format!("/posts/{b}/codings"),
            &[
                ("code_id", &realised),
                ("code_id", immediate),
                ("start", "0"),
                ("end", "10"),
                ("excerpt", "Mostly fun"),
                ("back", &coding_url),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Saved: “Mostly fun”."), "{html}");
    assert!(texts(&html, ".excerpts q").contains(&"Mostly fun".to_string()));
    // A memo alone from the same form: no excerpt is made for it.
    let res = page
        .submit(
            &coding_url,
            &format!("/posts/{b}/codings"),
            &[("excerpt", ""), ("memo", "Fun is immediate value"), ("back", &coding_url)],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(texts(&html, ".note .pre").contains(&"Fun is immediate value".to_string()), "{html}");
    let (_, view) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert_eq!(
        view["replies"][1]["excerpts"].as_array().unwrap().len(),
        2,
        "Ben's excerpt and “Mostly fun”, nothing more"
    );
    let res = page
        .submit(&coding_url, &format!("/posts/{b}/codings"), &[("code_id", &realised), ("start", "0"), ("end", "99")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an error page with the reason");
    assert!(res.text().await.unwrap().contains("34 characters"));
    let html = page.get_ok(&format!("/boards/{}/report?by=Role", s.board)).await;
    assert!(texts(&html, "table.counts th[scope=row]").iter().any(|t| t.contains("Realised value")));
    assert!(texts(&html, "blockquote.quote em").contains(&"I now plan my week with the t".to_string()));
    assert!(html.contains("3 out of 3"));
    assert!(texts(&html, "table.people th[scope=row]").contains(&"P03".to_string()));
}

/// Who may code, as a matrix, every analysis route and page asked by everyone, on this set-up:
/// a board with a reply coded, quoted and memoed by its analyst, and another board beside it.
struct Matrix {
    app: TestApp,
    s: Seeded,
    other: Seeded,
    m: Api,
    ann: Api,
    ana: Api,
    post: String,
    code: String,
    excerpt: String,
    coding: String,
    memo: String,
}

impl Matrix {
    async fn new(backend: Backend) -> Matrix {
        let app = spawn(backend).await;
        let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
        let other = app.board_with_question("modb@example.org", "open", &["zed@example.org"]).await;
        let m = app.api_of("mod@example.org").await;
        let ann = app.participant_api(s.link(0)).await;
        let (_, post) = ann.write_post(&s.question, json!({"body_md": "Secret answer for the analysts"})).await;
        let post = post["id"].as_str().unwrap().to_string();
        let ana = analyst(&app, &m, &s.board, "ana@example.org").await;
        let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Trust"})).await;
        let code = code["id"].as_str().unwrap().to_string();
        let (_, excerpt) = ana.code_post(&post, json!({"code_ids": [code], "excerpt": "Secret", "quote": true})).await;
        let coding = excerpt["codings"][0]["id"].as_str().unwrap().to_string();
        let excerpt = excerpt["id"].as_str().unwrap().to_string();
        let (_, memo) = ana.post(&format!("/api/v1/posts/{post}/memos"), json!({"body": "memo"})).await;
        let memo = memo["id"].as_str().unwrap().to_string();
        Matrix { app, s, other, m, ann, ana, post, code, excerpt, coding, memo }
    }

    /// Every analysis read.
    fn reads(&self) -> Vec<String> {
        let s = &self.s;
        vec![
            format!("/api/v1/boards/{}/codes", s.board),
            format!("/api/v1/questions/{}/coding", s.question),
            format!("/api/v1/boards/{}/report", s.board),
            format!("/api/v1/boards/{}/export?format=json", s.board),
            format!("/api/v1/boards/{}/export?format=qdpx", s.board),
        ]
    }

    /// Writes that leave things in place (a new code, a new memo, a coding again).
    fn writes(&self, who: &str) -> Vec<(String, Value)> {
        let (s, post, code) = (&self.s, &self.post, &self.code);
        vec![
            (format!("/api/v1/boards/{}/codes", s.board), json!({"name": format!("Code by {who}")})),
            (format!("/api/v1/posts/{post}/codings"), json!({"code_ids": [code], "excerpt": "answer"})),
            (format!("/api/v1/posts/{post}/memos"), json!({"body": "a memo"})),
            (format!("/api/v1/codes/{code}/memos"), json!({"body": "a memo"})),
            (format!("/api/v1/boards/{}/codebook/template", s.board), json!({"template": "four-pillars"})),
        ]
    }
}

/// Every analysis route refuses the board's observer and participants (403), staff and
/// participants of another board (404, not learning it exists) and no one signed in (401);
/// nothing changes.
async fn analysis_api_refuses_who_may_not_code(backend: Backend) {
    let t = Matrix::new(backend).await;
    let Matrix { app, s, other, m, ann, ana, code, excerpt, coding, memo, .. } = &t;
    app.staff_api("obs@example.org", false).await;
    add_member(m, &s.board, "obs@example.org", "observer").await;
    let obs = app.api_of("obs@example.org").await;
    let other_mod = app.api_of("modb@example.org").await;
    let other_ana = analyst(app, &other_mod, &other.board, "other-ana@example.org").await;
    let zed = app.participant_api(other.link(0)).await;
    let nobody = app.api("not-a-token");
    let (reads, writes) = (t.reads(), |who: &str| t.writes(who));
    let refused: [(&str, &Api, StatusCode); 6] = [
        ("observer", &obs, StatusCode::FORBIDDEN),
        ("participant", ann, StatusCode::FORBIDDEN),
        ("another board's moderator", &other_mod, StatusCode::NOT_FOUND),
        ("another board's analyst", &other_ana, StatusCode::NOT_FOUND),
        ("another board's participant", &zed, StatusCode::NOT_FOUND),
        ("no one", &nobody, StatusCode::UNAUTHORIZED),
    ];
    for (who, api, expected) in refused {
        for path in &reads {
            let (st, body) = api.get(path).await;
            assert_eq!(st, expected, "{who} GET {path}");
            assert!(!body.to_string().contains("Secret"), "{who} GET {path} leaks");
        }
        for (path, body) in writes(who) {
            assert_eq!(api.post(&path, body).await.0, expected, "{who} POST {path}");
        }
        assert_eq!(
            api.put(&format!("/api/v1/codes/{code}"), json!({"name": "Renamed"})).await.0,
            expected,
            "{who} rename"
        );
        assert_eq!(
            api.put(&format!("/api/v1/excerpts/{excerpt}/quote"), json!({"quote": false})).await.0,
            expected,
            "{who} unquote"
        );
        assert_eq!(api.delete(&format!("/api/v1/codings/{coding}")).await, expected, "{who} uncode");
        assert_eq!(api.delete(&format!("/api/v1/memos/{memo}")).await, expected, "{who} delete memo");
        assert_eq!(api.delete(&format!("/api/v1/codes/{code}")).await, expected, "{who} delete code");
    }
    // Nothing of it changed.
    let (_, view) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert_eq!(view["replies"][0]["excerpts"][0]["codings"][0]["id"], coding.as_str());
    assert_eq!(view["replies"][0]["excerpts"][0]["is_quote"], true);
    assert_eq!(view["replies"][0]["memos"][0]["id"], memo.as_str());
    assert_eq!(view["codebook"].as_array().unwrap().len(), 1);
}

/// The board's analyst, moderator, co-moderator and an administrator may read and write;
/// only a memo's author or a moderator deletes it.
async fn analysis_api_serves_who_may_code(backend: Backend) {
    let t = Matrix::new(backend).await;
    let Matrix { app, s, m, ana, post, .. } = &t;
    let co = app.staff_api("co@example.org", false).await;
    add_member(m, &s.board, "co@example.org", "co_moderator").await;
    let admin = app.staff_api("admin@example.org", true).await;
    let (reads, writes) = (t.reads(), |who: &str| t.writes(who));
    for (who, api) in [("analyst", ana), ("moderator", m), ("co-moderator", &co), ("administrator", &admin)] {
        for path in &reads {
            assert_eq!(api.get(path).await.0, StatusCode::OK, "{who} GET {path}");
        }
        for (path, body) in writes(who) {
            let (st, body) = api.post(&path, body).await;
            assert!(st.is_success(), "{who} POST {path}: {st} {body}");
        }
    }
    // Only its author or a moderator deletes a memo.
    let (_, memo_of_co) = co.post(&format!("/api/v1/posts/{post}/memos"), json!({"body": "mine"})).await;
    assert_eq!(
        ana.delete(&format!("/api/v1/memos/{}", memo_of_co["id"].as_str().unwrap())).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        co.delete(&format!("/api/v1/memos/{}", memo_of_co["id"].as_str().unwrap())).await,
        StatusCode::NO_CONTENT
    );
}

/// The analysis pages and the coding form, for a participant, an observer and another board's
/// moderator: refused, and refused for who they are rather than for the form.
async fn analysis_pages_refuse_who_may_not_code(backend: Backend) {
    let Matrix { app, s, m, post, code, .. } = Matrix::new(backend).await;
    app.staff_api("obs@example.org", false).await;
    add_member(&m, &s.board, "obs@example.org", "observer").await;
    // The pages, for a participant, an observer, and another board's moderator.
    let pages = [
        format!("/boards/{}/analysis", s.board),
        format!("/boards/{}/codebook", s.board),
        format!("/boards/{}/report", s.board),
        format!("/q/{}/coding", s.question),
        format!("/boards/{}/export?format=csv", s.board),
    ];
    let participant = app.sign_in_participant(s.link(0)).await;
    let observer = app.signed_in("obs@example.org").await;
    let stranger = app.signed_in("modb@example.org").await;
    for (who, browser, expected) in [
        ("participant", &participant, StatusCode::FORBIDDEN),
        ("observer", &observer, StatusCode::FORBIDDEN),
        ("stranger", &stranger, StatusCode::NOT_FOUND),
    ] {
        for path in &pages {
            let res = browser.get(path).await;
            assert_eq!(res.status(), expected, "{who} {path}");
            assert!(!res.text().await.unwrap().contains("Secret answer"), "{who} {path} leaks");
        }
        let html = browser.get_ok(if who == "stranger" { "/boards" } else { "/" }).await;
        let res = browser
            .client
            .post(app.url(&format!("/posts/{post}/codings")))
            .form(&[("csrf_token", csrf_of(&html).as_str()), ("code_id", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{who} codes through the page");
        assert!(
            !res.text().await.unwrap().contains("This form has expired"),
            "refused for who they are, not for the form"
        );
    }
}
