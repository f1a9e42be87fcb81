import type { CachePort } from '../../platform/cache/port.js';
import type { Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CourseAccess, CourseAccessChecker } from '../enrollments/access.js';
import type { EnrollmentRevocationListener } from '../enrollments/service.js';
import type { PlaybackEndReason, PlaybackRepository, PlayableLesson } from './repository.js';
import type { PlaybackUrlSigner } from './signer.js';

export interface PlaybackLog {
  warn(details: object, message: string): void;
}

export interface PlaybackGrant {
  /** Null for an anonymous viewer of a free preview: nothing to count or renew against. */
  sessionId: string | null;
  lessonId: string;
  courseId: string;
  videoId: string;
  durationSeconds: number | null;
  expiresAt: string;
  /** When the player should ask again: well before the URLs expire. */
  renewAt: string;
  hlsUrl: string;
  posterUrl: string | null;
  storyboardUrl: string | null;
  captions: { id: string; language: string; label: string; url: string }[];
}

/** Progress refuses heartbeats of a session with this key without reading the database. */
export const endedSessionKey = (sessionId: string) => `playback:ended:${sessionId}`;
/** Longer than any grant lives: after that the session's URLs are dead anyway. */
const ENDED_MARK_SECONDS = 24 * 3600;
/** Renew at this share of the lifetime: room for a slow network or a throttled background tab. */
const RENEW_AT = 0.6;
/**
 * A "yes, may watch" answer (enrolled, or the course's owner) for one user and course, reused by
 * their next grants. Only yes is kept, so a new enrollment is never delayed. A revocation
 * overwrites it with a `revoked` mark that outlives any yes stored before it: a grant that read the
 * database just before the revocation committed stores its yes only if the key is absent, so it
 * cannot bring access back. A cache down at the moment of the revocation leaves an old yes for at
 * most this long (as progress's heartbeat access, which has the same lifetime).
 */
export const GRANT_ACCESS_SECONDS = 60;
export const grantAccessKey = (userId: string, courseId: string) => `playback:access:${userId}:${courseId}`;
type CachedAccess = 'enrolled' | 'owner' | 'revoked';

const lessonNotFound = () => new AppError(404, 'lesson_not_found', 'No such lesson.');
const sessionEnded = (reason: string | null) =>
  new AppError(409, 'playback_session_ended', 'This playback session has ended; start a new one.', { reason });

/**
 * Playback grants: who may watch a lesson, signed URLs for its video, and the per-account limit on
 * players watching at once. Media files are then served without asking this service again (the
 * signature is the authorisation), which is why access is re-checked on every renewal.
 */
export class PlaybackService implements EnrollmentRevocationListener {
  constructor(
    private readonly repository: PlaybackRepository,
    private readonly access: CourseAccessChecker,
    private readonly signer: PlaybackUrlSigner,
    private readonly cache: CachePort,
    private readonly options: { maxSessions: number },
    private readonly log?: PlaybackLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Opens a session (or renews `sessionId`) and signs the lesson's media for it. 404
   * `lesson_not_found`, 401/403 `not_enrolled` as for the lesson's content, 409 `video_not_ready`,
   * 409 `playback_session_ended` when the session was superseded or its access revoked.
   */
  async issuePlaybackGrant(
    actor: Actor | undefined,
    lessonId: string,
    request: { sessionId?: string } = {},
  ): Promise<PlaybackGrant> {
    const found = await this.repository.playableLesson(lessonId);
    if (!found) throw lessonNotFound();
    const { lesson, course } = found;

    if (!(await this.mayWatch(actor, found))) {
      // A renewal by someone who lost access: their player stops, and progress with it.
      if (actor && request.sessionId) await this.endOwnSession(actor.userId, request.sessionId, 'access_revoked');
      if (course.status !== 'published') throw lessonNotFound();
      if (!actor) throw new AppError(401, 'unauthenticated', 'Sign in to watch this lesson.');
      throw new AppError(403, 'not_enrolled', 'Enroll in the course to watch this lesson.');
    }
    const video = lesson.type === 'video' ? found.video : null;
    if (!video?.version) {
      throw new AppError(409, 'video_not_ready', 'This lesson has no video ready to play yet.');
    }

    const now = this.now();
    const expiresAtSeconds = Math.floor(now.getTime() / 1000) + this.signer.ttlSeconds;
    const expiresAt = new Date(expiresAtSeconds * 1000);
    const sessionId = actor
      ? await this.openSession(actor.userId, found, video.id, now, expiresAt, request.sessionId)
      : null;

    const uid = actor?.userId ?? 'anonymous';
    const sign = (file: string) => this.signer.url(video.id, uid, file, expiresAtSeconds);
    return {
      sessionId,
      lessonId: lesson.id,
      courseId: course.id,
      videoId: video.id,
      durationSeconds: video.durationSeconds,
      expiresAt: expiresAt.toISOString(),
      renewAt: new Date(now.getTime() + Math.round(this.signer.ttlSeconds * 1000 * RENEW_AT)).toISOString(),
      hlsUrl: sign(`${video.version}/master.m3u8`),
      posterUrl: video.poster ? sign(`${video.version}/${video.poster.jpeg}`) : null,
      storyboardUrl: video.storyboard ? sign(`${video.version}/${video.storyboard.vtt}`) : null,
      captions: video.captions.map((c) => ({
        id: c.id,
        language: c.language,
        label: c.label,
        url: sign(`captions/${c.id}.vtt`),
      })),
    };
  }

  /**
   * Ends the user's sessions in a course at once (their enrollment was revoked): their players'
   * next renewal and progress report are refused. Called by enrollments on revocation.
   */
  async enrollmentRevoked(userId: string, courseId: string): Promise<void> {
    try {
      await this.cache.set(grantAccessKey(userId, courseId), 'revoked' satisfies CachedAccess, GRANT_ACCESS_SECONDS);
    } catch (error) {
      this.log?.warn({ err: error, userId, courseId }, 'could not mark a revoked grant access in the cache');
    }
    const ended = await this.repository.endCourseSessions(userId, courseId, 'access_revoked', this.now());
    await this.markEnded(ended, 'access_revoked');
  }

  /**
   * Why a session ended, from the cache mark alone (no database read): what progress asks on every
   * heartbeat. Undefined when it is not marked ended (or the cache is unreachable).
   */
  async sessionEndReason(sessionId: string): Promise<PlaybackEndReason | undefined> {
    try {
      return await this.cache.get<PlaybackEndReason>(endedSessionKey(sessionId));
    } catch (error) {
      this.log?.warn({ err: error, sessionId }, 'could not read a playback session mark from the cache');
      return undefined;
    }
  }

  /** The one access check, plus a free preview of a public course; a takedown closes it to students. */
  private async mayWatch(actor: Actor | undefined, { lesson, course }: PlayableLesson): Promise<boolean> {
    const open = course.status === 'published' && !course.takenDownAt;
    if (lesson.isFreePreview && open) return true;
    const access = await this.accessOf(actor, course.id);
    if (access === 'enrolled') return !course.takenDownAt;
    return access !== 'none';
  }

  /** The access check, with a user's "yes" for a course reused for a minute (see GRANT_ACCESS_SECONDS). */
  private async accessOf(actor: Actor | undefined, courseId: string): Promise<CourseAccess> {
    // Anonymous callers and admins are answered without the database anyway.
    if (!actor || actor.role === 'admin') return this.access.accessOf(actor, courseId);
    const key = grantAccessKey(actor.userId, courseId);
    try {
      const known = await this.cache.get<CachedAccess>(key);
      if (known === 'enrolled' || known === 'owner') return known;
    } catch (error) {
      this.log?.warn({ err: error, key }, 'cache read failed; asking the database');
      return this.access.accessOf(actor, courseId);
    }
    const access = await this.access.accessOf(actor, courseId);
    if (access === 'enrolled' || access === 'owner') {
      try {
        await this.cache.setIfAbsent(key, access satisfies CachedAccess, GRANT_ACCESS_SECONDS);
      } catch (error) {
        this.log?.warn({ err: error, key }, 'cache write failed');
      }
    }
    return access;
  }

  /**
   * Renews the given session or starts a new one, then ends the least recently renewed others
   * beyond the account's limit, in line with the user's other grants (one database call).
   */
  private async openSession(
    userId: string,
    { lesson, course }: PlayableLesson,
    videoId: string,
    now: Date,
    expiresAt: Date,
    renewing: string | undefined,
  ): Promise<string> {
    const opened = await this.repository.openSession({
      userId,
      courseId: course.id,
      lessonId: lesson.id,
      videoId,
      at: now,
      expiresAt,
      keep: this.options.maxSessions - 1,
      renewing,
    });
    if (opened.refusal === 'not_found') {
      throw new AppError(404, 'playback_session_not_found', 'No such playback session of yours for this lesson.');
    }
    if (opened.refusal === 'ended') throw sessionEnded(opened.reason);
    await this.markEnded(opened.superseded, 'superseded');
    return opened.sessionId;
  }

  private async endOwnSession(userId: string, sessionId: string, reason: PlaybackEndReason): Promise<void> {
    const session = await this.repository.session(sessionId);
    if (!session || session.userId !== userId || session.endedAt) return;
    const ended = await this.repository.transaction((tx) =>
      this.repository.endSessions(tx, [session.id], reason, this.now()),
    );
    await this.markEnded(ended, reason);
  }

  /**
   * Tells progress (through the cache) that these sessions are over. The database already says so;
   * a cache that is down only delays the refusal of their heartbeats, so it must not fail a grant.
   */
  private async markEnded(sessionIds: string[], reason: PlaybackEndReason): Promise<void> {
    for (const id of sessionIds) {
      try {
        await this.cache.set(endedSessionKey(id), reason, ENDED_MARK_SECONDS);
      } catch (error) {
        this.log?.warn({ err: error, sessionId: id }, 'could not mark an ended playback session in the cache');
      }
    }
  }
}
