//! A participant's free attributes from the import (professional role, organisation, group …)
//! and the group rule built on them: which stages and questions are for whom.

use super::visibility::for_group;

pub type Attributes = serde_json::Map<String, serde_json::Value>;

/// Every attribute name in attribute maps already read, sorted.
pub fn names_in<'a>(maps: impl IntoIterator<Item = &'a Attributes>) -> Vec<String> {
    maps.into_iter().flat_map(|m| m.keys().cloned()).collect::<std::collections::BTreeSet<_>>().into_iter().collect()
}

/// One attribute of an attribute map as text ("" when there is none).
pub fn attribute_text(map: &Attributes, name: &str) -> String {
    match map.get(name) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// The participant's group: their "group" attribute (any capitalisation), if any.
pub fn group_of(map: &Attributes) -> Option<String> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("group"))
        .and_then(|(_, v)| v.as_str().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
}

/// Whether a question is for a participant of `group`: both its stage's groups and its own
/// admit them (no groups means everyone).
pub fn is_for(group: Option<&str>, stage_groups: &[String], question_groups: &[String]) -> bool {
    for_group(stage_groups, group) && for_group(question_groups, group)
}

/// How many participants, given by their groups, a question is for ("N of M answered").
pub fn eligible_count<G: AsRef<str>>(
    groups: impl IntoIterator<Item = Option<G>>,
    stage_groups: &[String],
    question_groups: &[String],
) -> i64 {
    groups.into_iter().filter(|g| is_for(g.as_ref().map(AsRef::as_ref), stage_groups, question_groups)).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(json: &str) -> Attributes {
        serde_json::from_str(json).expect("test attributes")
    }

    #[test]
    fn group_is_found_in_any_capitalisation_and_blank_is_none() {
        assert_eq!(group_of(&attrs(r#"{"Group":" Carers "}"#)).as_deref(), Some("Carers"));
        assert_eq!(group_of(&attrs(r#"{"group":"  "}"#)), None);
        assert_eq!(group_of(&attrs(r#"{"role":"Nurse"}"#)), None);
    }

    #[test]
    fn a_question_is_for_those_both_its_stage_and_itself_admit() {
        let carers = vec!["Carers".to_string()];
        let none: Vec<String> = vec![];
        assert!(is_for(None, &none, &none));
        assert!(is_for(Some("carers"), &carers, &none));
        assert!(!is_for(Some("Staff"), &none, &carers));
        assert!(!is_for(None, &carers, &none), "no group is not every group");
        assert_eq!(eligible_count([Some("Carers"), Some("Staff"), None], &none, &carers), 1);
        assert_eq!(eligible_count([Some("Carers"), Some("Staff"), None], &none, &none), 3);
    }

    #[test]
    fn attribute_text_writes_non_text_values_as_json() {
        let m = attrs(r#"{"age":42,"note":null,"role":"Nurse"}"#);
        assert_eq!(attribute_text(&m, "age"), "42");
        assert_eq!(attribute_text(&m, "note"), "");
        assert_eq!(attribute_text(&m, "role"), "Nurse");
        assert_eq!(names_in([&m]), vec!["age", "note", "role"]);
    }
}
