-- fluxbot schema: the learned polling window reads the latest finished jobs of a model
-- (JobRepository.recent_durations). Without this index SQLite sorted every finished job of the
-- model on each read; with it, it reads the newest 50 entries of the index.
CREATE INDEX jobs_by_model_ready ON jobs(provider, model, ready_at, submitted_at) WHERE ready_at IS NOT NULL;
