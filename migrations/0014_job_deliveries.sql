-- fluxbot schema 14: a Discord job's reply coordinates (the interaction that asked, the messages
-- the bot posted) get a table of their own beside the job, so the job itself holds nothing of
-- Discord. Existing rows are copied; the old columns in `jobs` stay, unused (SQLite drops
-- columns only by rebuilding the table). Plain SQL that SQLite and PostgreSQL both run.
CREATE TABLE job_deliveries (
    job_id                  TEXT PRIMARY KEY,
    interaction_app_id      BIGINT,
    interaction_token       TEXT,
    interaction_created_at  DOUBLE PRECISION,
    response_message_id     BIGINT,
    result_message_id       BIGINT
);
INSERT INTO job_deliveries (job_id, interaction_app_id, interaction_token, interaction_created_at,
                            response_message_id, result_message_id)
    SELECT id, interaction_app_id, interaction_token, interaction_created_at,
           response_message_id, result_message_id
    FROM jobs
    WHERE interaction_app_id IS NOT NULL OR response_message_id IS NOT NULL
       OR result_message_id IS NOT NULL;
