-- fluxbot schema 25: fewer indexes on jobs (issue 15, item 8). A job's every state change writes an
-- entry into each of its indexes; each index left is some query's (docs/DEVELOPING.md, "Rules the
-- code relies on").
-- No query reads (provider, model, state, finished_at): recent_durations reads jobs_by_model_ready (0006).
DROP INDEX jobs_by_model_finished;
-- A member's jobs, in one server or in all: history, /jobs, the gallery (keyset on seq), the queue
-- limit's count, export and erasure. Was two indexes: (user_id, created_at) and (guild_id, user_id, seq).
DROP INDEX jobs_by_user;
DROP INDEX jobs_gallery;
CREATE INDEX jobs_by_member ON jobs(user_id, guild_id, seq);
-- SQLite keeps jobs_by_guild_state: without it its planner reads a server's live queue (the
-- dashboard) by walking all jobs in seq order. PostgreSQL reads it through jobs_by_state.
