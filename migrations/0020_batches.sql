-- fluxbot schema 20 (issue 18, item 4): batches. The jobs of one `/imagine count:` share a batch id
-- and are posted together in one message; each knows its place in it. That message is recorded
-- as `result_message_id` on every delivery of the batch, so a restart edits it rather than post a
-- second one. Plain SQL that SQLite and PostgreSQL both run.
ALTER TABLE job_deliveries ADD COLUMN batch_id TEXT;
ALTER TABLE job_deliveries ADD COLUMN batch_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_deliveries ADD COLUMN batch_size INTEGER NOT NULL DEFAULT 1;
CREATE INDEX job_deliveries_by_batch ON job_deliveries (batch_id);
