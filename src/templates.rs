//! Handlebars templates, embedded in the binary from `templates/` so the server is one file.

use handlebars::{handlebars_helper, Handlebars};
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
    hb
});

pub fn registry() -> &'static Handlebars<'static> {
    &REGISTRY
}

/// Renders a template by its path under `templates/` without the extension ("participant/home").
pub fn render<T: serde::Serialize>(name: &str, data: &T) -> Result<String, handlebars::RenderError> {
    registry().render(name, data)
}
