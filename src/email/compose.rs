//! Each message is rendered from three templates in `templates/email/<kind>/`: `subject`,
//! `text` and `html` (the HTML inside a shared layout). Rendering happens when the message is
//! queued, so what was sent can be shown exactly and does not change afterwards.

use crate::domain::email::EmailKind;
use crate::templates;
use serde_json::Value;

pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn compose(kind: EmailKind, data: &Value) -> anyhow::Result<Composed> {
    let name = kind.as_str();
    let render = |part: &str| {
        templates::render(&format!("email/{name}/{part}"), data)
            .map_err(|e| anyhow::anyhow!("email template {name}/{part}: {e}"))
    };
    Ok(Composed {
        subject: render("subject")?.split_whitespace().collect::<Vec<_>>().join(" "),
        text: render("text")?,
        html: render("html")?,
    })
}
