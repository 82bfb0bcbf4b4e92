-- Single-use, expiring links for staff accounts: an invitation to set a first password, or a
-- password reset asked for on the sign-in page. Only the token's SHA-256 hash is kept.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_links_user ON account_links (user_id);
