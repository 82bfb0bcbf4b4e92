//! A form that is refused comes back as the page it was on, with what the person typed still in
//! it, the message beside the field it is about and a summary at the top of the form.
//!
//! The page is rendered as for a GET and then rewritten (lol_html, a streaming HTML rewriter): the
//! form whose `action` is the path the form was sent to, and whose hidden fields match what was
//! sent (a page has one reply form per post, all sent to the same address), gets the sent values.
//! Every form works this way without its template knowing about errors.

use super::errors::PageResult;
use crate::error::AppError;
use actix_web::http::header;
use actix_web::HttpResponse;
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, end_tag, rewrite_str, RewriteStrSettings};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// What a person sent in a form: the path it was sent to and its fields in order (file fields
/// are left out; a browser never fills those in again).
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Sent {
    pub fn new(action: &str, fields: Vec<(String, String)>) -> Sent {
        Sent { action: action.to_string(), fields }
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.values(name).any(|v| v == value)
    }
}

/// Fields that are the page's own and never taken from what was sent.
const PAGE_OWN: [&str; 2] = ["csrf_token", "form_token"];

/// A mistake the person can put right on the form, as opposed to a page they may not see, a
/// link that has expired or a fault on our side (those keep their own error page).
fn is_mistake(e: &AppError) -> bool {
    matches!(
        e,
        AppError::BadRequest(_)
            | AppError::Unprocessable { .. }
            | AppError::Conflict(_)
            | AppError::AlreadyAnswered(_)
            | AppError::PayloadTooLarge(_)
    )
}

/// The response to a form that was refused with `e`: the page `page` renders, filled in again
/// and marked, with the error's status. Errors that are not the person's to correct, and pages
/// that cannot be rendered, give the error page as before.
pub async fn again(e: AppError, sent: &Sent, page: impl Future<Output = PageResult>) -> PageResult {
    if !is_mistake(&e) {
        return Err(e.into());
    }
    let Ok(res) = page.await else { return Err(e.into()) };
    if !res.status().is_success() {
        return Err(e.into());
    }
    let Ok(bytes) = actix_web::body::to_bytes(res.into_body()).await else { return Err(e.into()) };
    let Ok(html) = std::str::from_utf8(&bytes) else { return Err(e.into()) };
    let marked = mark(html, sent, &e).map_err(|why| AppError::Internal(anyhow::anyhow!("refilling a form: {why}")))?;
    Ok(HttpResponse::build(e.status())
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(marked))
}

fn path_of(action: &str) -> &str {
    action.split(['?', '#']).next().unwrap_or(action)
}

/// A form sent to the address, with its hidden fields, its other named fields (name and id, in
/// order) and the `<details>` it is folded in.
struct Candidate {
    ours: bool,
    hidden: Vec<(String, String)>,
    fields: Vec<(String, Option<String>)>,
    folded_in: Option<usize>,
}

/// The form the person used, as found in a first look at the page.
struct Found {
    /// Which of the forms sent to `sent.action` it is, counted among those.
    index: usize,
    /// The `<details>` (counted in the page) to unfold so that it shows.
    unfold: Option<usize>,
    /// The id the field in error has, or is given, when the form has that field: the summary
    /// links to it, and it comes later in the page than the summary.
    error_id: Option<String>,
}

/// Which of the forms sent to `sent.action` the person used: the first whose hidden fields all
/// have the values that were sent.
fn which_form(html: &str, sent: &Sent, field: Option<&str>) -> Result<Option<Found>, String> {
    let forms: Rc<RefCell<Vec<Candidate>>> = Rc::default();
    let open: Rc<RefCell<Option<usize>>> = Rc::default();
    // The `<details>` seen so far and those open around the current element.
    let details: Rc<RefCell<(usize, Vec<usize>)>> = Rc::default();
    let (f1, o1, f2, o2, d1, d2) =
        (forms.clone(), open.clone(), forms.clone(), open.clone(), details.clone(), details.clone());
    rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("details", move |el: &mut Element| {
                let mut d = d1.borrow_mut();
                let n = d.0;
                d.0 += 1;
                d.1.push(n);
                let d = d1.clone();
                el.on_end_tag(end_tag!(move |_| {
                    d.borrow_mut().1.pop();
                    Ok(())
                }))?;
                Ok(())
            }))
            .append_element_content_handler(element!("form", move |el: &mut Element| {
                let ours = el.get_attribute("action").is_some_and(|a| path_of(&a) == sent.action);
                let mut forms = f1.borrow_mut();
                forms.push(Candidate {
                    ours,
                    hidden: Vec::new(),
                    fields: Vec::new(),
                    folded_in: d2.borrow().1.last().copied(),
                });
                *o1.borrow_mut() = Some(forms.len() - 1);
                let o = o1.clone();
                el.on_end_tag(end_tag!(move |_| {
                    *o.borrow_mut() = None;
                    Ok(())
                }))?;
                Ok(())
            }))
            .append_element_content_handler(element!(
                "form input[name], form textarea[name], form select[name]",
                move |el: &mut Element| {
                    if let (Some(i), Some(name)) = (*o2.borrow(), el.get_attribute("name")) {
                        let hidden = el.get_attribute("type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
                        let form = &mut f2.borrow_mut()[i];
                        match hidden {
                            true => form.hidden.push((name, el.get_attribute("value").unwrap_or_default())),
                            false => form.fields.push((name, el.get_attribute("id"))),
                        }
                    }
                    Ok(())
                }
            )),
    )
    .map_err(|e| e.to_string())?;
    let forms = forms.borrow();
    let ours: Vec<_> = forms.iter().filter(|c| c.ours).collect();
    let matches = |c: &&&Candidate| {
        c.hidden
            .iter()
            .all(|(n, v)| PAGE_OWN.contains(&n.as_str()) || sent.values(n).next().is_none() || sent.has(n, v))
    };
    let Some(index) = ours.iter().position(|c| matches(&c)).or((!ours.is_empty()).then_some(0)) else {
        return Ok(None);
    };
    let error_id = field.and_then(|f| {
        let (name, id) = ours[index].fields.iter().find(|(n, _)| names_field(n, f))?;
        Some(id.clone().unwrap_or_else(|| format!("field-{name}")))
    });
    Ok(Some(Found { index, unfold: ours[index].folded_in, error_id }))
}

/// Whether the form field `name` is the field `field` an error is about: the same, or one of
/// the repeated fields a JSON list is sent as (`code_id` for `code_ids`).
fn names_field(name: &str, field: &str) -> bool {
    name == field || field.strip_suffix('s') == Some(name)
}

fn escape(text: &str) -> String {
    handlebars::html_escape(text)
}

/// State while the page is rewritten: whether we are inside the person's form, the select
/// whose options we are in, and whether the field in error has been marked.
#[derive(Default)]
struct Walk {
    seen: usize,
    details: usize,
    inside: bool,
    select: Option<String>,
    marked: bool,
    used: std::collections::HashMap<String, usize>,
}

fn mark(html: &str, sent: &Sent, e: &AppError) -> Result<String, String> {
    let field = e.field();
    let found = which_form(html, sent, field)?;
    let (target, unfold) = (found.as_ref().map(|f| f.index), found.as_ref().and_then(|f| f.unfold));
    let message = e.to_string();
    let message = message.as_str();
    let walk: Rc<RefCell<Walk>> = Rc::default();
    let summary = |href: Option<&str>| {
        let line = match href {
            Some(id) => format!("<a href=\"#{}\">{}</a>", escape(id), escape(message)),
            None => escape(message),
        };
        format!(
            "<div class=\"error-summary\" role=\"alert\" id=\"error-summary\" tabindex=\"-1\"{}>\
             <h2>There is a problem</h2><p>{line}</p></div>",
            if href.is_none() { " autofocus" } else { "" }
        )
    };
    let field_id = |el: &Element, name: &str| el.get_attribute("id").unwrap_or_else(|| format!("field-{name}"));
    // A message about no field of the form stands alone, focused.
    let summary_form = summary(found.as_ref().and_then(|f| f.error_id.as_deref()));
    let summary_main = summary(None);
    let (w_form, w_input, w_area, w_select, w_option, w_details) =
        (walk.clone(), walk.clone(), walk.clone(), walk.clone(), walk.clone(), walk.clone());
    let mark_field = move |el: &mut Element, walk: &mut Walk, name: &str| -> Result<(), String> {
        if walk.marked || !field.is_some_and(|f| names_field(name, f)) {
            return Ok(());
        }
        walk.marked = true;
        let id = field_id(el, name);
        let err_id = format!("{id}-error");
        el.set_attribute("id", &id).map_err(|e| e.to_string())?;
        el.set_attribute("aria-invalid", "true").map_err(|e| e.to_string())?;
        let described = match el.get_attribute("aria-describedby") {
            Some(d) if !d.is_empty() => format!("{err_id} {d}"),
            _ => err_id.clone(),
        };
        el.set_attribute("aria-describedby", &described).map_err(|e| e.to_string())?;
        el.set_attribute("autofocus", "").map_err(|e| e.to_string())?;
        el.after(
            &format!("<p class=\"field-error\" id=\"{}\">{}</p>", escape(&err_id), escape(message)),
            ContentType::Html,
        );
        Ok(())
    };
    let out = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("title", |el: &mut Element| {
                el.prepend("Error: ", ContentType::Text);
                Ok(())
            }))
            .append_element_content_handler(element!("details", move |el: &mut Element| {
                let mut walk = w_details.borrow_mut();
                if Some(walk.details) == unfold {
                    el.set_attribute("open", "")?;
                }
                walk.details += 1;
                Ok(())
            }))
            .append_element_content_handler(element!("main", move |el: &mut Element| {
                if target.is_none() {
                    el.prepend(&summary_main, ContentType::Html);
                }
                Ok(())
            }))
            .append_element_content_handler(element!("form", move |el: &mut Element| {
                if el.get_attribute("action").is_none_or(|a| path_of(&a) != sent.action) {
                    return Ok(());
                }
                let mut walk = w_form.borrow_mut();
                walk.inside = Some(walk.seen) == target;
                walk.seen += 1;
                if walk.inside {
                    el.prepend(&summary_form, ContentType::Html);
                    let w = w_form.clone();
                    el.on_end_tag(end_tag!(move |_| {
                        w.borrow_mut().inside = false;
                        Ok(())
                    }))?;
                }
                Ok(())
            }))
            .append_element_content_handler(element!("form input[name]", move |el: &mut Element| {
                let mut walk = w_input.borrow_mut();
                if !walk.inside {
                    return Ok(());
                }
                let name = el.get_attribute("name").unwrap_or_default();
                let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
                match kind.as_str() {
                    "hidden" | "submit" | "button" | "image" | "reset" => return Ok(()),
                    "password" | "file" => {}
                    "checkbox" | "radio" => {
                        let value = el.get_attribute("value").unwrap_or_else(|| "on".into());
                        if sent.has(&name, &value) {
                            el.set_attribute("checked", "")?;
                        } else {
                            el.remove_attribute("checked");
                        }
                    }
                    _ => {
                        // The n-th field of a name gets the n-th value sent under it.
                        let n = *walk.used.entry(name.clone()).and_modify(|n| *n += 1).or_insert(0);
                        if let Some(v) = sent.values(&name).nth(n) {
                            // lol_html escapes the quote only; an ampersand typed stays one.
                            el.set_attribute("value", &v.replace('&', "&amp;"))?;
                        }
                    }
                }
                mark_field(el, &mut walk, &name)?;
                Ok(())
            }))
            .append_element_content_handler(element!("form textarea[name]", move |el: &mut Element| {
                let mut walk = w_area.borrow_mut();
                if !walk.inside {
                    return Ok(());
                }
                let name = el.get_attribute("name").unwrap_or_default();
                let n = *walk.used.entry(name.clone()).and_modify(|n| *n += 1).or_insert(0);
                if let Some(v) = sent.values(&name).nth(n) {
                    el.set_inner_content(v, ContentType::Text);
                }
                mark_field(el, &mut walk, &name)?;
                Ok(())
            }))
            .append_element_content_handler(element!("form select[name]", move |el: &mut Element| {
                let mut walk = w_select.borrow_mut();
                if !walk.inside {
                    return Ok(());
                }
                let name = el.get_attribute("name").unwrap_or_default();
                walk.select = sent.values(&name).next().is_some().then(|| name.clone());
                mark_field(el, &mut walk, &name)?;
                let w = w_select.clone();
                el.on_end_tag(end_tag!(move |_| {
                    w.borrow_mut().select = None;
                    Ok(())
                }))?;
                Ok(())
            }))
            .append_element_content_handler(element!("form select option", move |el: &mut Element| {
                let walk = w_option.borrow();
                if let (true, Some(name)) = (walk.inside, walk.select.as_deref()) {
                    match el.get_attribute("value") {
                        Some(v) if sent.has(name, &v) => el.set_attribute("selected", "")?,
                        Some(_) => el.remove_attribute("selected"),
                        None => {}
                    }
                }
                Ok(())
            })),
    )
    .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><title>Stage</title></head><body><main>
<form method="post" action="/q/1/posts"><input type="hidden" name="csrf_token" value="t"><input type="hidden" name="parent_id" value="a"><textarea name="body_md"></textarea></form>
<details><summary>Reply</summary><form method="post" action="/q/1/posts"><input type="hidden" name="csrf_token" value="t"><input type="hidden" name="parent_id" value="b"><textarea name="body_md"></textarea></form></details>
<form method="post" action="/stages/2"><input type="hidden" name="csrf_token" value="t">
<input id="title" name="title" value="Old" aria-describedby="hint"><input name="release_at" value="">
<select name="mode"><option value="a" selected>A</option><option value="b">B</option></select>
<label><input type="checkbox" name="private" checked> Private</label>
<input type="radio" name="kind" value="x" checked><input type="radio" name="kind" value="y">
<input type="password" name="pw"></form></main></body></html>"#;

    fn sent(action: &str, fields: &[(&str, &str)]) -> Sent {
        Sent::new(action, fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_form_sent_gets_the_values_and_the_message_beside_its_field() {
        let s = sent(
            "/stages/2",
            &[
                ("csrf_token", "old"),
                ("title", "A \"new\" <title> & &amp;"),
                ("release_at", "next monday 9am"),
                ("mode", "b"),
                ("kind", "y"),
                ("pw", "secret"),
            ],
        );
        let e = AppError::invalid_field("release_at", "\u{201c}next monday 9am\u{201d} is not a date");
        let out = mark(PAGE, &s, &e).unwrap();
        assert!(out.contains("<title>Error: Stage</title>"), "{out}");
        assert!(out.contains(r#"value="A &quot;new&quot; <title> &amp; &amp;amp;""#), "{out}");
        assert!(out.contains(r#"aria-describedby="hint""#), "an unmarked field keeps its hint: {out}");
        assert!(out.contains(r#"<input name="release_at" value="next monday 9am" id="field-release_at" aria-invalid="true" aria-describedby="field-release_at-error" autofocus=""><p class="field-error" id="field-release_at-error">"#), "{out}");
        assert!(out.contains(r##"<a href="#field-release_at">"##), "{out}");
        assert!(out.contains(r#"<option value="a">A</option><option value="b" selected="">B</option>"#), "{out}");
        assert!(out.contains(r#"<input type="checkbox" name="private"> Private"#), "unticked when not sent: {out}");
        assert!(
            out.contains(
                r#"<input type="radio" name="kind" value="x"><input type="radio" name="kind" value="y" checked="">"#
            ),
            "{out}"
        );
        assert!(!out.contains("secret"), "passwords are never sent back: {out}");
        assert!(out.contains(r#"name="csrf_token" value="t""#), "the page's own token stays: {out}");
    }

    #[test]
    fn of_forms_sent_to_one_address_the_one_with_the_hidden_fields_sent_is_filled() {
        let s = sent("/q/1/posts", &[("parent_id", "b"), ("body_md", "my reply")]);
        let out = mark(PAGE, &s, &AppError::invalid_field("body_md", "Too long.")).unwrap();
        assert_eq!(out.matches("my reply").count(), 1, "{out}");
        let second = out.find(r#"value="b""#).unwrap();
        assert!(out.find("my reply").unwrap() > second, "{out}");
        assert!(out.find("There is a problem").unwrap() > out.find(r#"value="a""#).unwrap(), "{out}");
        assert!(out.contains(r#"<details open=""><summary>Reply</summary>"#), "the reply form is unfolded: {out}");
    }

    #[test]
    fn a_message_without_a_field_or_form_sits_at_the_top() {
        let s = sent("/elsewhere", &[("x", "1")]);
        let out = mark(PAGE, &s, &AppError::BadRequest("That file is not a CSV.".into())).unwrap();
        assert!(out.contains(r#"<main><div class="error-summary" role="alert" id="error-summary" tabindex="-1" autofocus><h2>There is a problem</h2><p>That file is not a CSV.</p></div>"#), "{out}");
    }
}
