-- Durable intake: every event a source hands screenpop is committed here before it is
-- acknowledged, and deleted in the transaction that writes its effects (a committed event
-- still here at start-up was never processed and is replayed). `event` is the serde JSON of
-- the event model, so fields added to it later travel through untouched.
CREATE TABLE intake (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event       TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

-- Calls in progress, so a restart (or kill -9) resumes them: the ringing event that opened
-- the call (serde JSON of the event model) and how far it got.
CREATE TABLE live_calls (
    source      TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    ringing     TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    answered_at INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source, call_id)
);
