-- fluxbot schema 29 on PostgreSQL: a worker's claim pass reaps the dead workers first
-- (bot/store/claims.py, bot/jobs/worker.py).
--
-- Each worker looked for dead workers on a timer of its own, every 0.5 s (`REAP_INTERVAL`): a
-- round trip that found nobody nearly every time, about half of an idle worker's CPU (3.0-3.7 ms
-- a second, docs/PERFORMANCE.md, item 8). The look now runs inside the claim pass (at least every
-- `PASS_INTERVAL`, 1 s, on every worker): a worker other than the claiming one whose lease ran out
-- or whose connection is gone (its advisory lock released) is deleted under the claims' lock, its
-- jobs unclaimed and the workers poked, as `ClaimStore.reap` did; the same pass then takes them
-- over. A pass that raises `fluxbot: lease lost` reaps nobody (the statement is rolled back): the
-- other workers' passes do. Otherwise `fluxbot_claim` is 0027's.
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
        -- Jobs holding a provider slot: started and not past READY, or queued and claimed.
        free := concurrency[i] - (SELECT COUNT(*) FROM jobs a WHERE a.provider = providers[i]
            AND (a.state IN ('submitting', 'running') OR (a.state = 'queued' AND a.claimed_by IS NOT NULL)));
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
