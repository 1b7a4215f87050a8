-- fluxbot schema: reference images are kept as the base64 text the provider receives.
-- Rows written from now on hold that text (ASCII) in `data` with encoding 'base64': a job is then
-- submitted (and resubmitted after a restart) without decoding or encoding megabytes again
-- (bot/encoding.py). Rows already stored keep their image bytes, marked 'raw', and are encoded
-- when read. The text is a third larger than the image.
ALTER TABLE job_inputs ADD COLUMN encoding TEXT NOT NULL DEFAULT 'raw' CHECK (encoding IN ('raw', 'base64'));
