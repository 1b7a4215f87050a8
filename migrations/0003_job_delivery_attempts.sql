-- fluxbot schema 3: delivery attempts, so a sink can tell a first hand-over from a repeat after a crash.
ALTER TABLE jobs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
