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
