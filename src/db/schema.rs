//! Table definitions shared by both backends. Only portable SQL types are used: ids are
//! text (UUID v7, so they sort by creation), times are UTC `Timestamp`s bound from the clock.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        created_at -> Timestamp,
        can_create_boards -> Bool,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    image_data (image_id) {
        image_id -> Text,
        full_bytes -> Binary,
        thumb_bytes -> Binary,
    }
}

diesel::table! {
    idempotency_keys (owner_id, key) {
        owner_id -> Text,
        key -> Text,
        action -> Text,
        status -> Integer,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        participant_id -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_links (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    consent_records (id) {
        id -> Text,
        participant_id -> Text,
        board_id -> Text,
        version -> Integer,
        consent_md -> Text,
        agreed_at -> Timestamp,
    }
}

diesel::table! {
    email_texts (board_id, which) {
        board_id -> Text,
        which -> Text,
        subject -> Text,
        body_md -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pending_members (board_id, email) {
        board_id -> Text,
        email -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    boards (id) {
        id -> Text,
        title -> Text,
        welcome_md -> Text,
        consent_md -> Text,
        time_zone -> Text,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        anonymity -> Text,
        state -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        remind_before_close_hours -> Nullable<Integer>,
        remind_not_signed_in_hours -> Nullable<Integer>,
        closing_message_md -> Text,
        identities_seen_by -> Text,
        pseudonyms_issued -> Integer,
        consent_version -> Integer,
        withdrawal_policy -> Text,
        retain_until -> Nullable<Date>,
        purge_when_due -> Bool,
        purged_at -> Nullable<Timestamp>,
        digest_hour -> Integer,
        holidays -> Text,
        paused_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Moved on by triggers at every change to what a board's pages show (see the migration).
    board_versions (board_id) {
        board_id -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    board_members (board_id, user_id) {
        board_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> Timestamp,
        digest -> Bool,
        digest_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    participants (id) {
        id -> Text,
        board_id -> Text,
        email -> Text,
        name -> Text,
        attributes -> Text,
        screen_name -> Nullable<Text>,
        consented_at -> Nullable<Timestamp>,
        first_signed_in_at -> Nullable<Timestamp>,
        last_seen_at -> Nullable<Timestamp>,
        token_hash -> Nullable<Text>,
        token_expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        email_opt_out -> Text,
        invited_at -> Nullable<Timestamp>,
        pseudonym_no -> Integer,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawal_asked_on -> Nullable<Date>,
        withdrawal_source -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
        email_failing_at -> Nullable<Timestamp>,
        email_failing_reason -> Nullable<Text>,
        reply_notices -> Text,
        digest_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stages (id) {
        id -> Text,
        board_id -> Text,
        position -> Integer,
        title -> Text,
        intro_md -> Text,
        release_at -> Nullable<Timestamp>,
        close_at -> Nullable<Timestamp>,
        released_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        groups -> Text,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        board_id -> Text,
        stage_id -> Text,
        position -> Integer,
        prompt_md -> Text,
        mode -> Text,
        created_at -> Timestamp,
        revised_at -> Nullable<Timestamp>,
        summary_id -> Nullable<Text>,
        groups -> Text,
        kind -> Text,
        config -> Text,
        allow_images -> Bool,
    }
}

diesel::table! {
    question_revisions (id) {
        id -> Text,
        question_id -> Text,
        prompt_md -> Text,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        board_id -> Text,
        question_id -> Text,
        parent_id -> Nullable<Text>,
        thread_id -> Text,
        participant_id -> Nullable<Text>,
        author_user_id -> Nullable<Text>,
        body_md -> Text,
        body_html -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        hidden_at -> Nullable<Timestamp>,
        hidden_reason -> Nullable<Text>,
        is_probe -> Bool,
        private_to -> Nullable<Text>,
        source -> Text,
        recorded_by -> Nullable<Text>,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> Text,
        post_id -> Text,
        body_md -> Text,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    question_reads (reader_id, question_id) {
        question_id -> Text,
        reader_id -> Text,
        read_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        participant_id -> Nullable<Text>,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        read_only -> Bool,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        board_id -> Nullable<Text>,
        participant_id -> Nullable<Text>,
        recipient -> Text,
        kind -> Text,
        dedup_key -> Nullable<Text>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        unsubscribe_url -> Nullable<Text>,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    reply_keys (key_hash) {
        key_hash -> Text,
        board_id -> Text,
        participant_id -> Text,
        question_id -> Text,
        post_id -> Nullable<Text>,
        address -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> Text,
        dedup_key -> Text,
        board_id -> Nullable<Text>,
        participant_id -> Nullable<Text>,
        question_id -> Nullable<Text>,
        parent_post_id -> Nullable<Text>,
        sender -> Text,
        subject -> Text,
        body_text -> Text,
        outcome -> Text,
        reason -> Nullable<Text>,
        post_id -> Nullable<Text>,
        received_at -> Timestamp,
        handled_by -> Nullable<Text>,
        handled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        board_id -> Nullable<Text>,
        actor_id -> Text,
        actor_name -> Text,
        action -> Text,
        subject -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    stage_summaries (id) {
        id -> Text,
        board_id -> Text,
        stage_id -> Text,
        shown_in_stage_id -> Nullable<Text>,
        body_md -> Text,
        contributors_only -> Bool,
        published_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff_notes (id) {
        id -> Text,
        board_id -> Text,
        question_id -> Nullable<Text>,
        author_id -> Text,
        body_md -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reactions (post_id, participant_id) {
        post_id -> Text,
        participant_id -> Text,
        question_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    votes (id) {
        id -> Text,
        board_id -> Text,
        question_id -> Text,
        participant_id -> Text,
        answer -> Text,
        created_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    images (id) {
        id -> Text,
        board_id -> Text,
        question_id -> Nullable<Text>,
        post_id -> Nullable<Text>,
        stage_id -> Nullable<Text>,
        summary_id -> Nullable<Text>,
        alt_text -> Text,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    codes (id) {
        id -> Text,
        board_id -> Text,
        parent_id -> Nullable<Text>,
        name -> Text,
        description -> Text,
        colour -> Text,
        position -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    excerpts (id) {
        id -> Text,
        board_id -> Text,
        post_id -> Text,
        start_char -> Nullable<Integer>,
        end_char -> Nullable<Integer>,
        text -> Text,
        is_quote -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    codings (id) {
        id -> Text,
        board_id -> Text,
        excerpt_id -> Text,
        post_id -> Text,
        code_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        batch_id -> Nullable<Text>,
    }
}

diesel::table! {
    memos (id) {
        id -> Text,
        board_id -> Text,
        post_id -> Nullable<Text>,
        code_id -> Nullable<Text>,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        excerpt_id -> Nullable<Text>,
    }
}

diesel::joinable!(codings -> codes (code_id));
diesel::joinable!(codings -> excerpts (excerpt_id));
diesel::joinable!(codings -> posts (post_id));
diesel::joinable!(excerpts -> posts (post_id));
diesel::joinable!(reactions -> participants (participant_id));
diesel::joinable!(staff_notes -> users (author_id));
diesel::joinable!(outbox -> participants (participant_id));
diesel::joinable!(board_members -> boards (board_id));
diesel::joinable!(board_members -> users (user_id));
diesel::joinable!(participants -> boards (board_id));
diesel::joinable!(stages -> boards (board_id));
diesel::joinable!(questions -> stages (stage_id));
diesel::joinable!(posts -> questions (question_id));
diesel::joinable!(posts -> participants (participant_id));
diesel::joinable!(posts -> users (author_user_id));

diesel::joinable!(pending_members -> boards (board_id));
diesel::joinable!(email_texts -> boards (board_id));

diesel::joinable!(image_data -> images (image_id));

diesel::joinable!(account_links -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_links,
    consent_records,
    email_texts,
    image_data,
    idempotency_keys,
    sessions,
    pending_members,
    users,
    boards,
    board_versions,
    board_members,
    participants,
    stages,
    questions,
    question_revisions,
    posts,
    post_revisions,
    question_reads,
    api_tokens,
    outbox,
    reply_keys,
    inbound_mail,
    audit_log,
    stage_summaries,
    staff_notes,
    reactions,
    votes,
    images,
    codes,
    excerpts,
    codings,
    memos,
);
