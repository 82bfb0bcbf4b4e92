//! The OpenAPI 3 document, generated from the handlers' annotations and the view types.

use super::analysis::*;
use super::handlers::*;
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "focusboard API", description = "Everything the focusboard pages do, as JSON. Errors are application/problem+json (RFC 9457)."),
    paths(
        me, consent, participant_token, list_tokens, create_token, revoke_token,
        list_boards, create_board, get_board, update_board, overview, home,
        list_participants, import_participants, reissue_link, record_withdrawal, erase_participant, set_member, remove_member,
        create_stage, get_stage, update_stage, release_stage,
        add_question, get_question, update_question, delete_question, move_question,
        create_post, edit_post, post_history,
        send_invitations, list_received, attach_received, discard_received, schedule_stages, pause_board, resume_board, list_emails, resend_failed, resend_message, list_wordings, save_wording, reset_wording, preview_wording, test_wording, email_preferences, set_email_preferences,
        audit_log, grid, awaiting_probes, list_notes, add_note, home_as, question_as, on_behalf, move_to_stage,
        probe, hide, restore, get_summary, save_summary, reopen, agree, set_group, vote, vote_history, results_by_group, question_image, post_image, stage_image, get_image, get_thumb,
        list_codes, add_code, apply_template, import_codebook, import_project, search, auto_code, undo_auto_code, update_code, delete_code, add_code_memo, coding, code_post, add_post_memo,
        remove_coding, set_quote, delete_memo, report, export,
    ),
    components(schemas(crate::domain::participants_csv::ImportRow, crate::domain::participants_csv::RowError)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags((name = "boards"), (name = "stages"), (name = "questions"), (name = "posts"), (name = "participants"), (name = "email"), (name = "moderation"), (name = "analysis"), (name = "account")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation may answer with a problem document for the errors any request can meet
/// (a malformed request, no or a refused token, something not found or not allowed, a body too
/// large or too slow, a conflict, invalid input, too many attempts, a busy server). The
/// document says so for each, so that clients and schema checks know what to expect.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "Problem".into(),
            ObjectBuilder::new()
                .description(Some("An RFC 9457 problem document; some add members, such as an import's rows."))
                .property(
                    "type",
                    ObjectBuilder::new().schema_type(Type::String).description(Some("urn:focusboard:problem:<code>")),
                )
                .property(
                    "code",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some("What kind of error: match on this, not on the English text."))
                        .enum_values(Some(crate::error::AppError::CODES.iter().copied())),
                )
                .property("title", ObjectBuilder::new().schema_type(Type::String))
                .property("status", ObjectBuilder::new().schema_type(Type::Integer))
                .property("detail", ObjectBuilder::new().schema_type(Type::String))
                .property(
                    "field",
                    ObjectBuilder::new().schema_type(Type::String).description(Some(
                        "For a validation error about one field: the JSON member (and form field) it is about.",
                    )),
                )
                .required("code")
                .required("title")
                .required("status")
                .required("detail")
                .into(),
        );
        const ERRORS: &[(&str, &str)] = &[
            ("400", "The request is malformed"),
            ("401", "No token, or one that is unknown, revoked or expired"),
            ("403", "Not allowed for this person or token"),
            ("404", "Nothing here, or nothing this person may see"),
            ("408", "The request body stopped arriving"),
            ("409", "In conflict with the current state"),
            ("413", "The request body is too large"),
            ("422", "The input is not valid; detail says why"),
            ("429", "Too many attempts"),
            ("503", "Busy; try again shortly"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                for (code, what) in ERRORS {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(*what)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                            )
                            .into()
                    });
                }
            }
        }
    }
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
