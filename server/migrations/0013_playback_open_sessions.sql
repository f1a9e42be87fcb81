-- Hand-written (drizzle-kit does not model functions). Grants arriving together open their
-- sessions in one call and one transaction (group commit): under the grant benchmark's load each
-- grant was its own call of playback_open_session, and PostgreSQL's work per call (the protocol
-- round, planning the call, starting and committing a transaction, waking a backend) was about as
-- large as the session's write itself. The API batches the grants it has waiting
-- (platform/db/batcher.ts); a lone grant still goes at once.
--
-- The body of 0010's function moves into playback_open_locked_session (the caller holds the user's
-- lock); playback_open_session keeps its signature and answers, for API processes of the previous
-- release during a rolling deploy, and is now the lock plus that call.

CREATE FUNCTION "playback_open_locked_session"(
  p_user uuid,
  p_course uuid,
  p_lesson uuid,
  p_video uuid,
  p_at timestamp with time zone,
  p_expires_at timestamp with time zone,
  p_keep integer,
  p_renewing uuid,
  OUT "session" uuid,
  OUT "refusal" text,
  OUT "ended_reason" "playback_end_reason",
  OUT "superseded" uuid[]
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_found "playback_sessions"%ROWTYPE;
  v_beyond uuid[];
BEGIN
  "superseded" := '{}';
  IF p_renewing IS NULL THEN
    INSERT INTO "playback_sessions" ("user_id", "course_id", "lesson_id", "video_id", "started_at", "renewed_at", "expires_at")
    VALUES (p_user, p_course, p_lesson, p_video, p_at, p_at, p_expires_at)
    RETURNING "id" INTO "session";
  ELSE
    SELECT * INTO v_found FROM "playback_sessions" WHERE "id" = p_renewing FOR UPDATE;
    IF NOT FOUND OR v_found."user_id" <> p_user OR v_found."lesson_id" <> p_lesson THEN
      "refusal" := 'not_found';
      RETURN;
    END IF;
    IF v_found."ended_at" IS NOT NULL THEN
      "session" := v_found."id";
      "refusal" := 'ended';
      "ended_reason" := v_found."end_reason";
      RETURN;
    END IF;
    -- A renewal may follow the lesson's current video.
    UPDATE "playback_sessions" SET "video_id" = p_video, "renewed_at" = p_at, "expires_at" = p_expires_at
    WHERE "id" = v_found."id";
    "session" := v_found."id";
  END IF;

  -- Beyond the limit the least recently renewed others end; a row ended meanwhile (a revocation,
  -- re-checked on the locked row) keeps its own reason. Two single-table statements rather than an
  -- UPDATE joined to its choice (docs/design/performance.md §4).
  SELECT array_agg(b."id") INTO v_beyond FROM (
    SELECT s."id" FROM "playback_sessions" s
    WHERE s."user_id" = p_user AND s."ended_at" IS NULL AND s."expires_at" > p_at AND s."id" <> "session"
    ORDER BY s."renewed_at" DESC, s."started_at" DESC, s."id" DESC
    OFFSET greatest(0, p_keep)
  ) b;
  IF v_beyond IS NOT NULL THEN
    WITH "ended" AS (
      UPDATE "playback_sessions" s SET "ended_at" = p_at, "end_reason" = 'superseded'
      WHERE s."id" = ANY (v_beyond) AND s."ended_at" IS NULL
      RETURNING s."id"
    )
    SELECT coalesce(array_agg("ended"."id"), '{}') INTO "superseded" FROM "ended";
  END IF;
END
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION "playback_open_session"(
  p_user uuid,
  p_course uuid,
  p_lesson uuid,
  p_video uuid,
  p_at timestamp with time zone,
  p_expires_at timestamp with time zone,
  p_keep integer,
  p_renewing uuid
) RETURNS TABLE ("session" uuid, "refusal" text, "ended_reason" "playback_end_reason", "superseded" uuid[])
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM "users" WHERE "id" = p_user FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::uuid, 'no_user'::text, NULL::"playback_end_reason", '{}'::uuid[];
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM "playback_open_locked_session"(p_user, p_course, p_lesson, p_video, p_at, p_expires_at, p_keep, p_renewing);
END
$$;
--> statement-breakpoint

-- p_grants: a JSON array of {"i", "user", "course", "lesson", "video", "at", "expires_at", "keep",
-- "renewing"}; one row comes back for each, with its "i", in the array's order. Same answers as
-- calling playback_open_session for each in that order.
--
-- Why it is safe: every user of the batch is locked first, in id order (the locks are taken by the
-- LockRows step above the sort), so two batches sharing users wait for each other rather than
-- deadlock, and a single grant holds one user lock only. As in 0010, each statement of the
-- VOLATILE functions takes a fresh snapshot, so after the locks every grant committed before is
-- seen; a user's grants within the batch see each other's writes (one transaction). An error in any
-- grant rolls the whole batch back; the API then sends each grant alone (playback_open_session).
--
-- A batch waits for a user's lock held elsewhere (a long transaction on the account) at most a
-- second: then it fails, and the API sends each of its grants alone, the one that waits on its own.
-- Meanwhile the API holds back the grants that arrived after the batch, so its wait must be short.
CREATE FUNCTION "playback_open_sessions"(p_grants jsonb)
RETURNS TABLE ("i" integer, "session" uuid, "refusal" text, "ended_reason" "playback_end_reason", "superseded" uuid[])
LANGUAGE plpgsql VOLATILE SET lock_timeout = '1s' AS $$
DECLARE
  v_locked uuid[];
  g record;
BEGIN
  SELECT coalesce(array_agg(l."id"), '{}') INTO v_locked FROM (
    SELECT u."id" FROM "users" u
    -- = ANY over an array, not IN (subquery): the planner guesses a hundred rows for the JSON and
    -- took a hash join over a scan of every user.
    WHERE u."id" = ANY (ARRAY(SELECT (e->>'user')::uuid FROM jsonb_array_elements(p_grants) e))
    ORDER BY u."id"
    FOR NO KEY UPDATE
  ) l;

  FOR g IN
    SELECT * FROM jsonb_to_recordset(p_grants) AS x(
      "i" integer, "user" uuid, "course" uuid, "lesson" uuid, "video" uuid,
      "at" timestamp with time zone, "expires_at" timestamp with time zone, "keep" integer, "renewing" uuid)
  LOOP
    IF g."user" = ANY (v_locked) THEN
      RETURN QUERY SELECT g."i", o.* FROM "playback_open_locked_session"(
        g."user", g."course", g."lesson", g."video", g."at", g."expires_at", g."keep", g."renewing") o;
    ELSE
      RETURN QUERY SELECT g."i", NULL::uuid, 'no_user'::text, NULL::"playback_end_reason", '{}'::uuid[];
    END IF;
  END LOOP;
END
$$;
