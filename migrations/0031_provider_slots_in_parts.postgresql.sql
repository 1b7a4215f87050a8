-- fluxbot schema 31 on PostgreSQL: a provider's slots in use kept as they change, in parts, one per
-- database connection (bot/store/claims.py, docs/PERFORMANCE.md "A claim pass that counted every job").
--
-- A claim pass that found queued jobs counted the provider's jobs holding a slot (`submitting` or
-- `running`, or `queued` and claimed) by reading every such row: with 10,000 jobs in flight 3-4 ms of
-- the server's CPU a pass, a pass per command or two, so the server's CPU per job grew with the jobs
-- in flight. Now triggers on `jobs` add each change of a row's slot (in or out of one, or moved to
-- another provider) to `provider_slot_parts`, in the transaction that changes the row, to a part of
-- the writing connection's own (`part` = its backend's process id, which no two live connections
-- share: writers never wait on each other for it, as the guild totals' parts of migration 0023). A
-- snapshot's sum of a provider's parts is the count of its jobs in a slot at that snapshot, and the
-- claim reads that sum: as many rows as connections wrote, whatever the jobs in flight. Part 0
-- holds the jobs counted here and the parts of connections that are gone, folded into it
-- (bot/store/postgres.py `fold_gone_parts`, at start and with the hourly sweep). Otherwise `fluxbot_claim`
-- is 0029's.
CREATE TABLE provider_slot_parts (
    provider    text NOT NULL,
    part        integer NOT NULL,
    used        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, part)
);

-- The part is updated first and inserted only when there is none yet (as migration 0026 does for
-- the totals: an `INSERT .. ON CONFLICT DO UPDATE` of a row that exists writes one more WAL record).
CREATE FUNCTION provider_slots_add(slot_provider text, delta integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE provider_slot_parts SET used = used + delta
    WHERE provider = slot_provider AND part = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO provider_slot_parts AS p (provider, part, used) VALUES (slot_provider, pg_backend_pid(), delta)
        ON CONFLICT (provider, part) DO UPDATE SET used = p.used + excluded.used;
    END IF;
END;
$$;

CREATE FUNCTION provider_slots_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND (OLD.state IN ('submitting', 'running')
                              OR (OLD.state = 'queued' AND OLD.claimed_by IS NOT NULL)) THEN
        PERFORM provider_slots_add(OLD.provider, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND (NEW.state IN ('submitting', 'running')
                              OR (NEW.state = 'queued' AND NEW.claimed_by IS NOT NULL)) THEN
        PERFORM provider_slots_add(NEW.provider, 1);
    END IF;
    RETURN NULL;
END;
$$;

-- Only the changes that move a slot call the function (a poll's update, a move between two slot
-- states, a finished job's purge do not). The triggers lock `jobs` against writes until this
-- migration commits, so the count below is the one the triggers go on from.
CREATE TRIGGER jobs_slots_inserted AFTER INSERT ON jobs FOR EACH ROW
    WHEN (NEW.state IN ('submitting', 'running') OR (NEW.state = 'queued' AND NEW.claimed_by IS NOT NULL))
    EXECUTE FUNCTION provider_slots_change();
CREATE TRIGGER jobs_slots_updated AFTER UPDATE OF state, claimed_by, provider ON jobs FOR EACH ROW
    WHEN ((OLD.state IN ('submitting', 'running') OR (OLD.state = 'queued' AND OLD.claimed_by IS NOT NULL))
          <> (NEW.state IN ('submitting', 'running') OR (NEW.state = 'queued' AND NEW.claimed_by IS NOT NULL))
          OR OLD.provider <> NEW.provider)
    EXECUTE FUNCTION provider_slots_change();
CREATE TRIGGER jobs_slots_deleted AFTER DELETE ON jobs FOR EACH ROW
    WHEN (OLD.state IN ('submitting', 'running') OR (OLD.state = 'queued' AND OLD.claimed_by IS NOT NULL))
    EXECUTE FUNCTION provider_slots_change();

INSERT INTO provider_slot_parts (provider, part, used)
SELECT provider, 0, COUNT(*) FROM jobs
WHERE state IN ('submitting', 'running') OR (state = 'queued' AND claimed_by IS NOT NULL)
GROUP BY provider;

CREATE OR REPLACE FUNCTION fluxbot_claim(
    worker text,          -- the claiming worker's id
    lock_name text,       -- the claims' advisory lock (per schema)
    origins text[],       -- the origins this worker delivers
    providers text[],     -- the providers it drives ...
    concurrency integer[],-- ... and each one's concurrency, in the same order
    takeover_batch integer,
    member_cap integer,   -- a member's active jobs at most
    per_slot integer      -- candidates read per free provider slot
) RETURNS SETOF jobs LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    now_s double precision;
    i integer;
    free integer;
    active integer;
    taken text[] := '{}';
    by_member jsonb := '{}';
    candidate record;
BEGIN
    -- Dead workers (never this one): deleted under the claims' lock, their jobs unclaimed (taken
    -- over below, by this pass or another worker's: poked). The condition is read again in the
    -- DELETE, under the lock: of a late renewal and a reap of one row exactly one succeeds.
    now_s := CAST(extract(epoch FROM clock_timestamp()) AS double precision);
    IF EXISTS (SELECT 1 FROM workers w WHERE w.id <> worker AND (w.lease_until < now_s OR NOT EXISTS (
                   SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                     AND ((CAST(l.classid AS bigint) << 32) | CAST(l.objid AS bigint)) = w.lock_key))) THEN
        PERFORM pg_advisory_xact_lock(hashtext(lock_name));
        now_s := CAST(extract(epoch FROM clock_timestamp()) AS double precision);
        DELETE FROM workers w WHERE w.id <> worker AND (w.lease_until < now_s OR NOT EXISTS (
                   SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                     AND ((CAST(l.classid AS bigint) << 32) | CAST(l.objid AS bigint)) = w.lock_key));
        IF FOUND THEN
            UPDATE jobs SET claimed_by = NULL
            WHERE claimed_by IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = jobs.claimed_by);
            PERFORM pg_notify('fluxbot:' || current_schema(), 'poke');
        END IF;
    END IF;
    -- Nothing unclaimed (most passes): no lock, no transaction of work.
    IF NOT (EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND claimed_by IS NULL
                      AND origin = ANY(origins) AND provider = ANY(providers))
            OR EXISTS (SELECT 1 FROM jobs WHERE claimed_by IS NULL
                         AND state IN ('submitting', 'running', 'fetching', 'delivering')
                         AND origin = ANY(origins) AND provider = ANY(providers))) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(lock_name));
    now_s := CAST(extract(epoch FROM clock_timestamp()) AS double precision);
    IF NOT COALESCE((SELECT w.lease_until > now_s FROM workers w WHERE w.id = worker), false) THEN
        RAISE EXCEPTION 'fluxbot: lease lost' USING ERRCODE = 'P0001';
    END IF;
    -- A dead worker's jobs, whatever the limits (their slots are counted already).
    RETURN QUERY WITH t AS (
        UPDATE jobs SET claimed_by = worker
        WHERE id IN (SELECT j.id FROM jobs j
                     WHERE j.claimed_by IS NULL
                       AND j.state IN ('submitting', 'running', 'fetching', 'delivering')
                       AND j.origin = ANY(origins) AND j.provider = ANY(providers)
                     ORDER BY j.seq LIMIT takeover_batch FOR UPDATE SKIP LOCKED)
        RETURNING *)
    SELECT * FROM t ORDER BY t.seq;
    IF NOT EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND claimed_by IS NULL
                     AND origin = ANY(origins) AND provider = ANY(providers)) THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(providers, 1), 0) LOOP
        IF EXISTS (SELECT 1 FROM provider_pacing p
                   WHERE p.provider = providers[i]
                     AND p.paused_until > CAST(extract(epoch FROM clock_timestamp()) AS double precision)) THEN
            CONTINUE;
        END IF;
        -- Jobs holding a provider slot (started and not past READY, or queued and claimed): the sum
        -- of the provider's parts, as the jobs table's latest commits have them (above).
        free := concurrency[i] - (SELECT COALESCE(SUM(s.used), 0) FROM provider_slot_parts s
                                  WHERE s.provider = providers[i]);
        IF free <= 0 THEN
            CONTINUE;
        END IF;
        -- Oldest first; each candidate with its member's jobs holding a slot; a member who reaches
        -- the cap with the jobs taken here is skipped after.
        FOR candidate IN
            SELECT j.id, j.user_id, m.n AS member_active FROM jobs j
            CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM jobs a WHERE a.user_id = j.user_id
                AND (a.state IN ('submitting', 'running')
                     OR (a.state = 'queued' AND a.claimed_by IS NOT NULL))) m
            WHERE j.state = 'queued' AND j.claimed_by IS NULL AND j.provider = providers[i]
              AND j.origin = ANY(origins) AND m.n < member_cap
            ORDER BY j.seq LIMIT free * per_slot FOR UPDATE OF j SKIP LOCKED
        LOOP
            EXIT WHEN free <= 0;
            active := COALESCE((by_member ->> candidate.user_id::text)::integer, candidate.member_active);
            CONTINUE WHEN active >= member_cap;
            by_member := by_member || jsonb_build_object(candidate.user_id::text, active + 1);
            free := free - 1;
            taken := taken || candidate.id;
        END LOOP;
    END LOOP;
    IF cardinality(taken) > 0 THEN
        RETURN QUERY WITH c AS (UPDATE jobs SET claimed_by = worker WHERE id = ANY(taken) RETURNING *)
        SELECT * FROM c ORDER BY c.seq;
    END IF;
END;
$$;
