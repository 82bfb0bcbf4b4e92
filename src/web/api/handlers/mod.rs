//! One handler per API operation, one file per OpenAPI tag; each is a call into `service`
//! with the bearer's identity.

mod account;
mod boards;
mod email;
mod moderation;
mod participants;
mod posts;
mod questions;
mod stages;

pub use account::*;
pub use boards::*;
pub use email::*;
pub use moderation::*;
pub use participants::*;
pub use posts::*;
pub use questions::*;
pub use stages::*;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Tried in order: what participants read most comes first.
    cfg.route("/questions/{question}", web::get().to(get_question))
        .route("/boards/{board}/home", web::get().to(home))
        .route("/me", web::get().to(me))
        .route("/me/consent", web::post().to(consent))
        .route("/me/email-preferences", web::get().to(email_preferences))
        .route("/me/email-preferences", web::put().to(set_email_preferences))
        .route("/auth/participant", web::post().to(participant_token))
        .route("/tokens", web::get().to(list_tokens))
        .route("/tokens", web::post().to(create_token))
        .route("/tokens/{token}", web::delete().to(revoke_token))
        .route("/boards", web::get().to(list_boards))
        .route("/boards", web::post().to(create_board))
        .route("/boards/{board}", web::get().to(get_board))
        .route("/boards/{board}", web::patch().to(update_board))
        .route("/boards/{board}/overview", web::get().to(overview))
        .route("/boards/{board}/participants", web::get().to(list_participants))
        .route("/boards/{board}/participants/import", web::post().to(import_participants))
        .route("/boards/{board}/participants/{participant}/link", web::post().to(reissue_link))
        .route("/boards/{board}/participants/{participant}/withdrawal", web::post().to(record_withdrawal))
        .route("/boards/{board}/participants/{participant}/erasure", web::post().to(erase_participant))
        .route("/boards/{board}/members", web::put().to(set_member))
        .route("/boards/{board}/members/{email}", web::delete().to(remove_member))
        .route("/boards/{board}/stages", web::post().to(create_stage))
        .route("/stages/{stage}", web::get().to(get_stage))
        .route("/stages/{stage}", web::patch().to(update_stage))
        .route("/stages/{stage}/release", web::post().to(release_stage))
        .route("/stages/{stage}/questions", web::post().to(add_question))
        .route("/questions/{question}", web::patch().to(update_question))
        .route("/questions/{question}", web::delete().to(delete_question))
        .route("/questions/{question}/move", web::post().to(move_question))
        .route("/questions/{question}/posts", web::post().to(create_post))
        .route("/posts/{post}", web::patch().to(edit_post))
        .route("/posts/{post}/history", web::get().to(post_history))
        .route("/boards/{board}/invitations", web::post().to(send_invitations))
        .route("/boards/{board}/received", web::get().to(list_received))
        .route("/boards/{board}/received/{mail}/attach", web::post().to(attach_received))
        .route("/boards/{board}/received/{mail}/discard", web::post().to(discard_received))
        .route("/boards/{board}/schedule", web::post().to(schedule_stages))
        .route("/boards/{board}/pause", web::post().to(pause_board))
        .route("/boards/{board}/resume", web::post().to(resume_board))
        .route("/boards/{board}/audit", web::get().to(audit_log))
        .route("/boards/{board}/grid", web::get().to(grid))
        .route("/boards/{board}/probes", web::get().to(awaiting_probes))
        .route("/boards/{board}/notes", web::get().to(list_notes))
        .route("/boards/{board}/notes", web::post().to(add_note))
        .route("/boards/{board}/participants/{participant}/home", web::get().to(home_as))
        .route("/boards/{board}/participants/{participant}/group", web::put().to(set_group))
        .route("/questions/{question}/as/{participant}", web::get().to(question_as))
        .route("/questions/{question}/on-behalf", web::post().to(on_behalf))
        .route("/questions/{question}/stage", web::post().to(move_to_stage))
        .route("/posts/{post}/probe", web::post().to(probe))
        .route("/posts/{post}/agree", web::post().to(agree))
        .route("/questions/{question}/vote", web::post().to(vote))
        .route("/questions/{question}/votes", web::get().to(vote_history))
        .route("/questions/{question}/results", web::get().to(results_by_group))
        .route("/questions/{question}/images", web::post().to(question_image))
        .route("/posts/{post}/images", web::post().to(post_image))
        .route("/stages/{stage}/images", web::post().to(stage_image))
        .route("/images/{image}", web::get().to(get_image))
        .route("/images/{image}/thumb", web::get().to(get_thumb))
        .route("/posts/{post}/hide", web::post().to(hide))
        .route("/posts/{post}/restore", web::post().to(restore))
        .route("/stages/{stage}/summary", web::get().to(get_summary))
        .route("/stages/{stage}/summary", web::put().to(save_summary))
        .route("/stages/{stage}/reopen", web::post().to(reopen))
        .route("/boards/{board}/emails", web::get().to(list_emails))
        .route("/boards/{board}/emails/resend-failed", web::post().to(resend_failed))
        .route("/boards/{board}/email-texts", web::get().to(list_wordings))
        .route("/boards/{board}/email-texts/{which}", web::put().to(save_wording))
        .route("/boards/{board}/email-texts/{which}", web::delete().to(reset_wording))
        .route("/boards/{board}/email-texts/{which}/preview", web::post().to(preview_wording))
        .route("/boards/{board}/email-texts/{which}/test", web::post().to(test_wording))
        .route("/boards/{board}/emails/{message}/resend", web::post().to(resend_message));
}
