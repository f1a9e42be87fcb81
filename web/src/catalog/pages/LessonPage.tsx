import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/apiError';
import { useAuth } from '../../auth/AuthProvider';
import { describeError } from '../../auth/errorMessages';
import { FormAlert, linkClass, secondaryButton } from '../../components/form';
import { catalogKeys, fetchAttachmentUrl, fetchCourse, fetchLesson } from '../api';
import { Loading } from '../components/AsyncState';
import { Markdown } from '../components/Markdown';
import { formatBytes } from '../format';
import type { CourseDetail, Lesson } from '../types';
import { useDocumentTitle } from '../useDocumentTitle';
import { LessonVideoArea } from '../../videos/LessonVideoArea';
import { fetchCourseProgress, markLessonOpened, playerKeys, type CourseProgress } from '../../videos/player/api';
import { LessonSidebar } from '../../videos/player/LessonSidebar';
import { NextLessonCountdown } from '../../videos/player/NextLessonCountdown';
import { rememberAutoplay, rememberedAutoplay } from '../../videos/player/preferences';

/** A lesson: its video (when it has one), Markdown body and attachments, beside the course's lessons. */
export function LessonPage() {
  const { t } = useTranslation();
  const { slug = '', lessonId = '' } = useParams();
  const lesson = useQuery({
    queryKey: catalogKeys.lesson(lessonId),
    queryFn: ({ signal }) => fetchLesson(lessonId, signal),
    retry: false,
  });
  const course = useQuery({
    queryKey: catalogKeys.course(slug),
    queryFn: ({ signal }) => fetchCourse(slug, signal),
    retry: false,
  });
  const courseHref = `/courses/${encodeURIComponent(slug)}`;
  return (
    <section className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <nav aria-label={t('catalog.breadcrumb')} className="text-sm">
        <Link to={courseHref} className={linkClass}>
          {t('catalog.lesson.backToCourse')}
        </Link>
      </nav>
      {lesson.isPending ? (
        <Loading />
      ) : lesson.isError ? (
        <div className="mt-6 max-w-3xl">
          {lesson.error instanceof ApiError && lesson.error.code === 'not_enrolled' ? (
            <>
              <h1 className="text-2xl font-bold text-slate-900">{t('catalog.lesson.locked')}</h1>
              <p className="mt-2 text-slate-700">{t('catalog.lesson.lockedBody')}</p>
              <Link to={courseHref} className={`${secondaryButton} mt-4`}>
                {t('catalog.lesson.backToCourse')}
              </Link>
            </>
          ) : (
            <FormAlert error={describeError(lesson.error)} />
          )}
        </div>
      ) : (
        <LessonLayout
          key={lesson.data.id}
          lesson={lesson.data}
          slug={slug}
          course={course.data}
          coursePending={course.isPending}
        />
      )}
    </section>
  );
}

interface LessonLayoutProps {
  lesson: Lesson;
  slug: string;
  course: CourseDetail | undefined;
  coursePending: boolean;
}

function LessonLayout({ lesson, slug, course, coursePending }: LessonLayoutProps) {
  const { state } = useAuth();
  const queryClient = useQueryClient();
  const canTrack = state.status === 'authenticated' && Boolean(course?.viewer?.enrolled || course?.viewer?.isOwner);
  const progress = useQuery({
    queryKey: playerKeys.courseProgress(lesson.courseId),
    queryFn: ({ signal }) => fetchCourseProgress(lesson.courseId, signal),
    enabled: canTrack,
    retry: false,
  });
  const refreshProgress = () =>
    void queryClient.invalidateQueries({ queryKey: playerKeys.courseProgress(lesson.courseId) });

  // A text or attachment lesson counts as complete once an enrolled student opens it.
  const opened = useRef<string | null>(null);
  const enrolled = state.status === 'authenticated' && Boolean(course?.viewer?.enrolled);
  useEffect(() => {
    if (!enrolled || lesson.type === 'video' || opened.current === lesson.id) return;
    opened.current = lesson.id;
    markLessonOpened(lesson.id).then(refreshProgress, () => undefined);
    // refreshProgress only invalidates a query: it need not be a dependency.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enrolled, lesson.id, lesson.type]);

  return (
    <div className="mt-4 lg:grid lg:grid-cols-[minmax(0,1fr)_20rem] lg:gap-8">
      <LessonView
        lesson={lesson}
        slug={slug}
        course={course}
        // The player starts where the student left off: it waits for their progress.
        progress={coursePending || (canTrack && progress.isPending) ? 'loading' : (progress.data ?? null)}
        onProgress={refreshProgress}
      />
      {course && (
        <LessonSidebar
          course={course}
          slug={slug}
          currentLessonId={lesson.id}
          progress={progress.data ?? null}
          canOpen={Boolean(course.viewer?.enrolled || course.viewer?.isOwner)}
        />
      )}
    </div>
  );
}

/** The lesson after `lessonId` in course order, or null for the last one. */
function nextLessonOf(course: CourseDetail | undefined, lessonId: string) {
  const lessons = (course?.sections ?? []).flatMap((section) => section.lessons);
  const index = lessons.findIndex((lesson) => lesson.id === lessonId);
  return index >= 0 ? (lessons[index + 1] ?? null) : null;
}

function LessonView({
  lesson,
  slug,
  course,
  progress,
  onProgress,
}: {
  lesson: Lesson;
  slug: string;
  course: CourseDetail | undefined;
  progress: CourseProgress | null | 'loading';
  onProgress: () => void;
}) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  useDocumentTitle(lesson.title);
  const [autoplay, setAutoplay] = useState(rememberedAutoplay);
  const [ended, setEnded] = useState(false);
  const completedSeen = useRef(false);
  const download = useMutation({
    mutationFn: (attachmentId: string) => fetchAttachmentUrl(lesson.id, attachmentId),
    onSuccess: ({ url }) => {
      window.location.assign(url);
    },
  });
  const next = nextLessonOf(course, lesson.id);
  const nextHref = next ? `/learn/${encodeURIComponent(slug)}/lessons/${encodeURIComponent(next.id)}` : null;
  const arrivedByAutoplay = (location.state as { autoplay?: boolean } | null)?.autoplay === true;
  const resumeAt =
    progress && progress !== 'loading'
      ? progress.lessons.find((entry) => entry.lessonId === lesson.id)?.positionSeconds
      : undefined;

  return (
    <article className="min-w-0">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{lesson.title}</h1>
      {lesson.type === 'video' &&
        (progress === 'loading' ? (
          <div className="mt-6 aspect-video w-full rounded-lg bg-black" />
        ) : (
          <div className="relative">
            <LessonVideoArea
              video={lesson.video}
              lessonId={lesson.id}
              title={lesson.title}
              courseHref={`/courses/${encodeURIComponent(slug)}`}
              resumeAt={resumeAt}
              autoPlay={arrivedByAutoplay}
              onEnded={() => setEnded(true)}
              onProgress={(completed) => {
                // The sidebar's tick changes once, when the lesson becomes complete.
                if (!completed || completedSeen.current) return;
                completedSeen.current = true;
                onProgress();
              }}
            />
            {ended && autoplay && next && nextHref && (
              <NextLessonCountdown
                title={next.title}
                onGo={() => void navigate(nextHref, { state: { autoplay: true } })}
                onCancel={() => setEnded(false)}
              />
            )}
          </div>
        ))}
      {lesson.type === 'video' && next && (
        <label className="mt-3 flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={autoplay}
            onChange={(event) => {
              setAutoplay(event.target.checked);
              rememberAutoplay(event.target.checked);
            }}
            className="h-4 w-4 accent-indigo-700"
          />
          {t('player.autoplayNext')}
        </label>
      )}
      {lesson.type === 'attachment' && <p className="mt-2 text-sm text-slate-600">{t('catalog.lesson.notText')}</p>}
      <Markdown className="mt-6 text-slate-800">{lesson.body}</Markdown>
      {lesson.attachments && lesson.attachments.length > 0 && (
        <section aria-labelledby="lesson-attachments" className="mt-8">
          <h2 id="lesson-attachments" className="text-lg font-bold text-slate-900">
            {t('catalog.lesson.attachments')}
          </h2>
          <ul className="mt-2 space-y-2">
            {lesson.attachments.map((attachment) => (
              <li key={attachment.id} className="flex items-center gap-3">
                <button
                  type="button"
                  className={secondaryButton}
                  disabled={download.isPending}
                  onClick={() => download.mutate(attachment.id)}
                >
                  {t('catalog.lesson.download', { name: attachment.fileName })}
                </button>
                <span className="text-xs text-slate-500">{formatBytes(attachment.sizeBytes, i18n.language)}</span>
              </li>
            ))}
          </ul>
          <div className="mt-3">
            <FormAlert error={download.isError ? describeError(download.error) : null} />
          </div>
        </section>
      )}
      {nextHref && next && (
        <p className="mt-8 text-sm">
          <Link to={nextHref} className={linkClass}>
            {t('player.nextLesson', { title: next.title })}
          </Link>
        </p>
      )}
    </article>
  );
}
