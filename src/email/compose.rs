//! Each message is rendered from three templates in `templates/email/<kind>/`: `subject`,
//! `text` and `html` (the HTML inside a shared layout). Rendering happens when the message is
//! queued, so what was sent can be shown exactly and does not change afterwards.

use crate::domain::email::EmailKind;
use crate::templates;
use serde_json::Value;

#[derive(Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn compose(kind: EmailKind, data: &Value) -> anyhow::Result<Composed> {
    let name = kind.as_str();
    let render = |part: &str, data: &Value| {
        templates::render(&format!("email/{name}/{part}"), data)
            .map_err(|e| anyhow::anyhow!("email template {name}/{part}: {e}"))
    };
    let subject = render("subject", data)?.split_whitespace().collect::<Vec<_>>().join(" ");
    // The HTML part's <title> is the subject.
    let mut data = data.clone();
    if let Some(map) = data.as_object_mut() {
        map.insert("subject".into(), subject.clone().into());
    }
    Ok(Composed { text: render("text", &data)?, html: render("html", &data)?, subject })
}

/// A message worded by its board (placeholders already filled): the markdown body in the shared
/// layout, as HTML and as plain text.
pub fn compose_written(subject: String, body_md: &str, data: &Value) -> anyhow::Result<Composed> {
    let mut data = data.clone();
    if let Some(map) = data.as_object_mut() {
        map.insert("subject".into(), subject.clone().into());
        map.insert("body_html".into(), crate::domain::markdown::render(body_md).into());
        map.insert("body_text".into(), crate::domain::markdown::plain(body_md).into());
    }
    let render = |part: &str| {
        templates::render(&format!("email/written/{part}"), &data)
            .map_err(|e| anyhow::anyhow!("email template written/{part}: {e}"))
    };
    Ok(Composed { text: render("text")?, html: render("html")?, subject })
}
