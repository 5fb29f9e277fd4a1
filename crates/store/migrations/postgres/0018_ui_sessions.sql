-- Web interface sessions: a browser signs in with an API key and gets a
-- session; only the SHA-256 of the session's secret is stored. A session
-- ends at its expiry, when signed out, or when its key is revoked.
CREATE TABLE ui_sessions (
    id          BIGSERIAL PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    csrf        TEXT NOT NULL,
    key_id      BIGINT NOT NULL REFERENCES api_keys(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    viewed      BIGINT NOT NULL DEFAULT 0,
    revoked_at  BIGINT
);
CREATE INDEX ui_sessions_by_key_id ON ui_sessions (key_id);
-- Per key: whether previews are shown unblurred without a click.
CREATE TABLE ui_preferences (
    key_id          BIGINT PRIMARY KEY REFERENCES api_keys(id),
    reveal_previews BIGINT NOT NULL DEFAULT 0
);
-- A case's timeline and the audit search read the log by target.
CREATE INDEX audit_by_target ON audit (target);
