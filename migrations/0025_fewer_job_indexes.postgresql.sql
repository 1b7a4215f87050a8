-- fluxbot schema 25 on PostgreSQL: as 0025_fewer_job_indexes.sql (jobs_by_member for two), and three
-- more dropped or made cheap. A job's every state change writes an entry into each of its indexes
-- (`state` is indexed, so the update is never a HOT one): on the way from accept to charge a job was
-- written into 9 indexes three times, 27 of the ~53 WAL records of a hold + settle pair
-- (benchmarks/pg_quota_throughput.py); now 4.
DROP INDEX jobs_by_model_finished;
DROP INDEX jobs_by_user;
DROP INDEX jobs_gallery;
CREATE INDEX jobs_by_member ON jobs(user_id, guild_id, seq);
-- A server's live queue (the dashboard): the unfinished jobs through jobs_by_state, its server's kept.
DROP INDEX jobs_by_guild_state;
-- /owner stats reads jobs by when they were created: rows go in by arrival, so a block range index
-- finds them, and a new row in the table's last, unsummarized range writes nothing to it.
DROP INDEX jobs_by_created;
CREATE INDEX jobs_by_created ON jobs USING brin (created_at);
-- Arrival numbers come from the sequence jobs_seq (nextval), never twice; no query looks a job up
-- by its number alone. SQLite keeps its constraint (MAX(seq) + 1, and a table-level UNIQUE stays).
ALTER TABLE jobs DROP CONSTRAINT jobs_seq_key;
