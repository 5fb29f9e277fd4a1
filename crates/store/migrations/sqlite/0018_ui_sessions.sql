-- Web interface sessions: a browser signs in with an API key and gets a
-- session; only the SHA-256 of the session's secret is stored. A session
-- ends at its expiry, when signed out, or when its key is revoked.
CREATE TABLE ui_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_hash TEXT NOT NULL UNIQUE,
    csrf        TEXT NOT NULL,
    key_id      INTEGER NOT NULL REFERENCES api_keys(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    viewed      INTEGER NOT NULL DEFAULT 0,
    revoked_at  INTEGER
);
CREATE INDEX ui_sessions_by_key_id ON ui_sessions (key_id);
-- Per key: whether previews are shown unblurred without a click.
CREATE TABLE ui_preferences (
    key_id          INTEGER PRIMARY KEY REFERENCES api_keys(id),
    reveal_previews INTEGER NOT NULL DEFAULT 0
);
-- A case's timeline and the audit search read the log by target.
CREATE INDEX audit_by_target ON audit (target);
