import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../platform/cache/memory.js';
import type { Actor } from '../access/permissions.js';
import type { CourseAccess, CourseAccessChecker } from '../enrollments/access.js';
import type { PlaybackRepository, PlayableLesson } from './repository.js';
import { PlaybackService } from './service.js';
import type { PlaybackUrlSigner } from './signer.js';

const student: Actor = { userId: '00000000-0000-4000-8000-000000000001', role: 'student' };
const lesson: PlayableLesson = {
  lesson: { id: 'lesson-1', courseId: 'course-1', type: 'video', isFreePreview: false },
  course: { id: 'course-1', status: 'published', takenDownAt: null },
  video: {
    id: 'video-1',
    ownerId: 'teacher',
    version: 'v1',
    durationSeconds: 60,
    poster: null,
    storyboard: null,
    captions: [],
  },
};

/** The enrollment table as the access check sees it, with a way to hold an answer in flight. */
class Enrollment implements CourseAccessChecker {
  active = true;
  checks = 0;
  hold: Promise<void> | undefined;
  async accessOf(): Promise<CourseAccess> {
    this.checks++;
    const answer: CourseAccess = this.active ? 'enrolled' : 'none';
    await this.hold;
    return answer;
  }
}

function service(enrollment: Enrollment) {
  let sessions = 0;
  const repository = {
    playableLesson: async () => lesson,
    openSession: async () => ({ sessionId: `session-${++sessions}`, superseded: [] }),
    endCourseSessions: async () => [],
  } as unknown as PlaybackRepository;
  const signer = { ttlSeconds: 600, url: () => 'signed' } as unknown as PlaybackUrlSigner;
  return new PlaybackService(repository, enrollment, signer, new MemoryCache(), { maxSessions: 2 });
}

describe('playback grant access cache', () => {
  it('reuses a yes for the next grants, and refuses the first grant after a revocation', async () => {
    const enrollment = new Enrollment();
    const playback = service(enrollment);
    await playback.issuePlaybackGrant(student, 'lesson-1');
    await playback.issuePlaybackGrant(student, 'lesson-1');
    expect(enrollment.checks).toBe(1);
    enrollment.active = false;
    await playback.enrollmentRevoked(student.userId, 'course-1');
    await expect(playback.issuePlaybackGrant(student, 'lesson-1')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('does not let a yes read before the revocation committed bring access back', async () => {
    const enrollment = new Enrollment();
    const playback = service(enrollment);
    let release: () => void = () => undefined;
    enrollment.hold = new Promise<void>((r) => (release = r));
    const early = playback.issuePlaybackGrant(student, 'lesson-1'); // reads "enrolled", then stalls
    await new Promise((r) => setTimeout(r, 5));
    enrollment.active = false;
    await playback.enrollmentRevoked(student.userId, 'course-1');
    release();
    await early; // it was allowed: it asked before the revocation
    enrollment.hold = undefined;
    await expect(playback.issuePlaybackGrant(student, 'lesson-1')).rejects.toMatchObject({ statusCode: 403 });
  });
});
