-- fluxbot schema 24: the providers each worker drives (comma-separated), so that the workers can
-- tell a queued job no live worker can ever claim (bot/jobs/unserved.py) from one that waits its turn.
ALTER TABLE workers ADD COLUMN providers text NOT NULL DEFAULT '';
