//! Handlebars templates, embedded in the binary from `templates/` so the server is one file.

use handlebars::{
    handlebars_helper, Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use rust_embed::RustEmbed;
use std::sync::LazyLock;

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
struct Files;

static REGISTRY: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(false);
    hb.set_dev_mode(false);
    hb.register_embed_templates_with_extension::<Files>(".hbs").expect("templates/ holds valid handlebars templates");
    handlebars_helper!(eq: |a: Json, b: Json| a == b);
    handlebars_helper!(ne: |a: Json, b: Json| a != b);
    handlebars_helper!(plural: |n: i64, one: str, many: str| if n == 1 { one.to_string() } else { many.to_string() });
    handlebars_helper!(len: |v: Json| v.as_array().map_or(0, |a| a.len()));
    hb.register_helper("len", Box::new(len));
    handlebars_helper!(range: |n: u64| (1..=n.min(100)).collect::<Vec<u64>>());
    hb.register_helper("range", Box::new(range));
    hb.register_helper("eq", Box::new(eq));
    hb.register_helper("ne", Box::new(ne));
    hb.register_helper("plural", Box::new(plural));
    // Markdown where HTML is not wanted (a heading, a title, a table cell): its words only.
    handlebars_helper!(plain: |md: str| crate::domain::markdown::one_line(md));
    hb.register_helper("plain", Box::new(plain));
    handlebars_helper!(short: |md: str, max: u64| crate::domain::markdown::short(md, max as usize));
    hb.register_helper("short", Box::new(short));
    hb.register_helper("label_of", Box::new(label_of));
    hb
});

/// `{{label_of "ResponseMode" mode}}`: a stored value as people read it ("Post first"). A value
/// the code does not know fails the page rather than showing the stored word.
fn label_of(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let param = |i: usize| {
        h.param(i).and_then(|p| p.value().as_str()).ok_or(RenderErrorReason::ParamNotFoundForIndex("label_of", i))
    };
    let text = crate::domain::labels::label_of(param(0)?, param(1)?).map_err(RenderErrorReason::Other)?;
    out.write(&handlebars::html_escape(text))?;
    Ok(())
}

pub fn registry() -> &'static Handlebars<'static> {
    &REGISTRY
}

/// Renders a template by its path under `templates/` without the extension ("participant/home").
pub fn render<T: serde::Serialize>(name: &str, data: &T) -> Result<String, handlebars::RenderError> {
    registry().render(name, data)
}
