-- screenpop's initial schema: contacts (local directory), call log, lookup cache, outbox.
-- Timestamps are UTC unix milliseconds.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    company    TEXT,
    vip        INTEGER NOT NULL DEFAULT 0,
    note       TEXT,
    url        TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    raw        TEXT NOT NULL,
    e164       TEXT,
    tail       TEXT NOT NULL,
    PRIMARY KEY (contact_id, position)
);
CREATE INDEX contact_phones_e164 ON contact_phones(e164) WHERE e164 IS NOT NULL;
CREATE INDEX contact_phones_tail ON contact_phones(tail);

CREATE TABLE calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id        TEXT NOT NULL,
    source         TEXT NOT NULL,
    direction      TEXT NOT NULL,
    number         TEXT NOT NULL,
    number_e164    TEXT,
    number_display TEXT NOT NULL,
    remote_name    TEXT,
    name           TEXT,
    customer_id    TEXT,
    directory      TEXT,
    matches        INTEGER NOT NULL DEFAULT 0,
    vip            INTEGER NOT NULL DEFAULT 0,
    note           TEXT,
    profile_url    TEXT,
    started_at     INTEGER NOT NULL,
    answered_at    INTEGER,
    ended_at       INTEGER NOT NULL,
    missed         INTEGER NOT NULL DEFAULT 0,
    end_reason     TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    UNIQUE (source, call_id, started_at)
);
CREATE INDEX calls_started ON calls(started_at DESC);
CREATE INDEX calls_missed ON calls(missed, started_at DESC) WHERE missed = 1;
CREATE INDEX calls_e164 ON calls(number_e164);

-- Full-text search over the call log (name, number, note); trigram so "555" finds "5551234".
CREATE VIRTUAL TABLE calls_fts USING fts5(
    name, number, note, content='calls', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
    INSERT INTO calls_fts(rowid, name, number, note)
    VALUES (new.id, coalesce(new.name, '') || ' ' || coalesce(new.remote_name, ''),
            new.number || ' ' || coalesce(new.number_e164, '') || ' ' || new.number_display,
            coalesce(new.note, ''));
END;
CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN
    INSERT INTO calls_fts(calls_fts, rowid, name, number, note)
    VALUES ('delete', old.id, coalesce(old.name, '') || ' ' || coalesce(old.remote_name, ''),
            old.number || ' ' || coalesce(old.number_e164, '') || ' ' || old.number_display,
            coalesce(old.note, ''));
END;
CREATE TRIGGER calls_fts_update AFTER UPDATE ON calls BEGIN
    INSERT INTO calls_fts(calls_fts, rowid, name, number, note)
    VALUES ('delete', old.id, coalesce(old.name, '') || ' ' || coalesce(old.remote_name, ''),
            old.number || ' ' || coalesce(old.number_e164, '') || ' ' || old.number_display,
            coalesce(old.note, ''));
    INSERT INTO calls_fts(rowid, name, number, note)
    VALUES (new.id, coalesce(new.name, '') || ' ' || coalesce(new.remote_name, ''),
            new.number || ' ' || coalesce(new.number_e164, '') || ' ' || new.number_display,
            coalesce(new.note, ''));
END;

CREATE TABLE lookup_cache (
    directory  TEXT NOT NULL,
    key        TEXT NOT NULL,
    result     TEXT,            -- JSON array of customers; NULL = cached miss
    fetched_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (directory, key)
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    call_row        INTEGER NOT NULL REFERENCES calls(id),
    call_id         TEXT NOT NULL,
    directory       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (call_row, directory)
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE delivered_at IS NULL;
