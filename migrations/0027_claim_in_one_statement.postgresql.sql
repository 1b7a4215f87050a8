-- fluxbot schema 27 on PostgreSQL: a worker's claim pass in one statement (bot/store/claims.py).
--
-- A pass was a transaction of up to eleven round trips (an EXISTS, BEGIN, the claims' lock, the
-- lease check, the takeover, an EXISTS of queued jobs, the paused providers, the active jobs, the
-- candidates per provider, the claim, COMMIT): about six statements per job claimed at 2,000 jobs
-- (docs/PERFORMANCE.md, issue 15 item 8). The same steps, in the same order and under the same
-- lock, now run inside this function, called as one autocommitted statement: in a VOLATILE
-- function each statement takes a new snapshot (READ COMMITTED), so everything read after the
-- lock sees what the other workers committed before they released it, as the transaction did.
-- The lease check raises `fluxbot: lease lost` (SQLSTATE P0001): the caller's `LeaseLost`.
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
