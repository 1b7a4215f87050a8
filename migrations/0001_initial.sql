-- fluxbot schema 1: jobs and the append-only quota ledger.
-- Amounts are TEXT decimals ("5", "0.45") so that provider-reported charges survive exactly.

CREATE TABLE jobs (
    id                      TEXT PRIMARY KEY,
    seq                     INTEGER NOT NULL UNIQUE,       -- arrival order: first come, first served
    state                   TEXT NOT NULL,
    origin                  TEXT NOT NULL,                 -- 'discord' | 'cli': who delivers
    provider                TEXT NOT NULL,
    model                   TEXT NOT NULL,
    prompt                  TEXT NOT NULL,
    params                  TEXT NOT NULL,                 -- JSON of the validated options
    user_id                 INTEGER NOT NULL,
    guild_id                INTEGER,
    channel_id              INTEGER,
    estimate                TEXT NOT NULL,
    cost                    TEXT,
    provider_job_id         TEXT,
    polling_url             TEXT,
    result_url              TEXT,
    result_path             TEXT,
    seed                    INTEGER,
    width                   INTEGER,
    height                  INTEGER,
    attempts                INTEGER NOT NULL DEFAULT 0,
    polls                   INTEGER NOT NULL DEFAULT 0,
    error_code              TEXT,
    error_message           TEXT,
    created_at              REAL NOT NULL,
    updated_at              REAL NOT NULL,
    submitted_at            REAL,
    ready_at                REAL,
    finished_at             REAL,
    parent_job_id           TEXT REFERENCES jobs(id),
    callback_token          TEXT,
    interaction_app_id      INTEGER,
    interaction_token       TEXT,
    interaction_created_at  REAL,
    response_message_id     INTEGER,
    result_message_id       INTEGER
);
CREATE INDEX jobs_by_state ON jobs(state, seq);
CREATE INDEX jobs_by_user ON jobs(user_id, created_at);
CREATE INDEX jobs_by_model_finished ON jobs(provider, model, state, finished_at);
CREATE UNIQUE INDEX jobs_by_provider_job ON jobs(provider, provider_job_id)
    WHERE provider_job_id IS NOT NULL;

-- Reference images, kept so that a queued job can still be submitted after a restart.
CREATE TABLE job_inputs (
    job_id  TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx     INTEGER NOT NULL,
    field   TEXT NOT NULL,           -- the request field it fills: image_prompt, input_image, input_image_2, ...
    data    BLOB NOT NULL,           -- the image bytes (sent base64-encoded)
    PRIMARY KEY (job_id, idx)
);

-- The quota ledger: append-only; a member's usage is derived from it.
--   hold     the estimate reserved when a job is accepted
--   release  the hold given back (failure, moderation, cancel) — amount equals the hold
--   charge   what the provider reported for the job; closes the hold
--   grant    one-off extra credit for a period (admin)
--   reset    brings a member's usage for a period back to zero (amount = usage at that moment)
CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('hold', 'release', 'charge', 'grant', 'reset')),
    guild_id    INTEGER,
    user_id     INTEGER,
    job_id      TEXT REFERENCES jobs(id),
    amount      TEXT NOT NULL,
    period      TEXT NOT NULL,       -- the quota period the entry counts in, e.g. '2026-11-21'
    provider    TEXT,
    model       TEXT,
    size        TEXT,
    actor_id    INTEGER,             -- the admin behind a grant or reset
    note        TEXT,
    created_at  REAL NOT NULL
);
-- A job is held once, charged once and released once: the index makes doubling impossible.
CREATE UNIQUE INDEX ledger_once_per_job ON ledger(job_id, kind) WHERE job_id IS NOT NULL;
CREATE INDEX ledger_by_member ON ledger(guild_id, user_id, period);
CREATE INDEX ledger_by_price ON ledger(provider, model, size, kind, id);
