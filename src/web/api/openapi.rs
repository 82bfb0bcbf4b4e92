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
        list_participants, import_participants, reissue_link, set_member,
        create_stage, get_stage, update_stage, release_stage,
        add_question, get_question, update_question, delete_question, move_question,
        create_post, edit_post, post_history,
        send_invitations, list_emails, resend_failed, resend_message, email_preferences, set_email_preferences,
        audit_log, grid, awaiting_probes, list_notes, add_note, home_as, question_as, on_behalf, move_to_stage,
        probe, hide, restore, get_summary, save_summary, reopen, agree, set_group, vote, vote_history, results_by_group, question_image, post_image, stage_image, get_image, get_thumb,
        list_codes, add_code, apply_template, import_codebook, update_code, delete_code, add_code_memo, coding, code_post, add_post_memo,
        remove_coding, set_quote, delete_memo, report, export,
    ),
    components(schemas(crate::domain::participants_csv::ImportRow, crate::domain::participants_csv::RowError)),
    modifiers(&BearerAuth),
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

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
