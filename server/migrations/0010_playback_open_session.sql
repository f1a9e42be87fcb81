-- Hand-written (drizzle-kit does not model functions). A playback grant opens or renews a session
-- and ends the user's sessions beyond their limit, in line with the user's other grants. As four
-- statements in a client-side transaction (BEGIN, lock and insert, end the others, COMMIT) that
-- was four round trips, and in the profiles the API spent about a third of a grant's CPU writing
-- to sockets. Here it is one call and one implicit transaction.
--
-- Why it is safe: the user's row lock (FOR NO KEY UPDATE, leaving foreign-key checks unblocked)
-- makes one user's grants take turns, and each statement of a VOLATILE plpgsql function takes a
-- fresh snapshot under READ COMMITTED, so the statements after the lock see every grant committed
-- before it was granted (a single SQL statement would not: its snapshot predates the wait).
--
-- Answers one row: `session` and no `refusal` when opened or renewed, with the ids it ended in
-- `superseded`; otherwise `refusal` is 'no_user' (the account is gone), 'not_found' (no such
-- session of this user for this lesson) or 'ended' (with the session's `ended_reason`).
CREATE FUNCTION "playback_open_session"(
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
DECLARE
  v_id uuid;
  v_found "playback_sessions"%ROWTYPE;
  v_beyond uuid[];
  v_ended uuid[] := '{}';
BEGIN
  PERFORM 1 FROM "users" WHERE "id" = p_user FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::uuid, 'no_user'::text, NULL::"playback_end_reason", '{}'::uuid[];
    RETURN;
  END IF;

  IF p_renewing IS NULL THEN
    INSERT INTO "playback_sessions" ("user_id", "course_id", "lesson_id", "video_id", "started_at", "renewed_at", "expires_at")
    VALUES (p_user, p_course, p_lesson, p_video, p_at, p_at, p_expires_at)
    RETURNING "id" INTO v_id;
  ELSE
    SELECT * INTO v_found FROM "playback_sessions" WHERE "id" = p_renewing FOR UPDATE;
    IF NOT FOUND OR v_found."user_id" <> p_user OR v_found."lesson_id" <> p_lesson THEN
      RETURN QUERY SELECT NULL::uuid, 'not_found'::text, NULL::"playback_end_reason", '{}'::uuid[];
      RETURN;
    END IF;
    IF v_found."ended_at" IS NOT NULL THEN
      RETURN QUERY SELECT v_found."id", 'ended'::text, v_found."end_reason", '{}'::uuid[];
      RETURN;
    END IF;
    -- A renewal may follow the lesson's current video.
    UPDATE "playback_sessions" SET "video_id" = p_video, "renewed_at" = p_at, "expires_at" = p_expires_at
    WHERE "id" = v_found."id";
    v_id := v_found."id";
  END IF;

  -- Beyond the limit the least recently renewed others end; a row ended meanwhile (a revocation,
  -- re-checked on the locked row) keeps its own reason. Two single-table statements rather than an
  -- UPDATE joined to its choice: they are planned for each call's parameters, and the join's
  -- planning showed in PostgreSQL's profile (docs/design/performance.md §4).
  SELECT array_agg(b."id") INTO v_beyond FROM (
    SELECT s."id" FROM "playback_sessions" s
    WHERE s."user_id" = p_user AND s."ended_at" IS NULL AND s."expires_at" > p_at AND s."id" <> v_id
    ORDER BY s."renewed_at" DESC, s."started_at" DESC, s."id" DESC
    OFFSET greatest(0, p_keep)
  ) b;
  IF v_beyond IS NOT NULL THEN
    WITH "ended" AS (
      UPDATE "playback_sessions" s SET "ended_at" = p_at, "end_reason" = 'superseded'
      WHERE s."id" = ANY (v_beyond) AND s."ended_at" IS NULL
      RETURNING s."id"
    )
    SELECT coalesce(array_agg("ended"."id"), '{}') INTO v_ended FROM "ended";
  END IF;
  RETURN QUERY SELECT v_id, NULL::text, NULL::"playback_end_reason", v_ended;
END
$$;
