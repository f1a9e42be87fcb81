import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError } from '../../api/apiError';
import { useAuth } from '../../auth/AuthProvider';
import { describeError } from '../../auth/errorMessages';
import { FormAlert, Notice, linkClass, primaryButton, secondaryButton } from '../../components/form';
import { catalogKeys, enroll, fetchCourse, recordCourseView, setWishlisted } from '../api';
import { QueryState } from '../components/AsyncState';
import { categoryName, PriceTag } from '../components/CourseCard';
import { CoverPicture } from '../components/CoverPicture';
import { Markdown } from '../components/Markdown';
import { RatingBadge } from '../components/Rating';
import { formatDuration } from '../format';
import type { CourseDetail, LessonSummary } from '../types';
import { useDocumentTitle } from '../useDocumentTitle';
import { ReviewsSection } from './ReviewsSection';

export function CoursePage() {
  const { slug = '' } = useParams();
  const course = useQuery({
    queryKey: catalogKeys.course(slug),
    queryFn: ({ signal }) => fetchCourse(slug, signal),
  });
  return (
    <QueryState query={course} notFoundPage>
      {(data) => <CourseView course={data} />}
    </QueryState>
  );
}

function useRecordView(courseId: string) {
  // Once per opening of the page (a ref survives StrictMode's double effect); the server
  // counts a viewer once per 30 minutes anyway.
  const recorded = useRef<string | null>(null);
  useEffect(() => {
    if (recorded.current === courseId) return;
    recorded.current = courseId;
    recordCourseView(courseId).catch(() => {
      // A lost view count is not worth bothering the reader about.
    });
  }, [courseId]);
}

function CourseView({ course }: { course: CourseDetail }) {
  const { t, i18n } = useTranslation();
  useDocumentTitle(course.title);
  useRecordView(course.id);
  const canOpenLessons = Boolean(course.viewer?.enrolled || course.viewer?.isOwner);

  return (
    <article>
      <header className="bg-slate-900 text-white">
        <div className="mx-auto grid max-w-6xl gap-8 px-4 py-10 sm:px-6 lg:grid-cols-[1fr_22rem]">
          <div>
            {course.category && (
              <nav aria-label={t('catalog.breadcrumb')} className="text-sm">
                <Link
                  to={`/categories/${encodeURIComponent(course.category.slug)}`}
                  className="text-indigo-200 underline underline-offset-4 hover:text-white"
                >
                  {categoryName(course.category, i18n.language)}
                </Link>
              </nav>
            )}
            <h1 className="mt-2 text-3xl font-bold tracking-tight sm:text-4xl">{course.title}</h1>
            {course.subtitle && <p className="mt-3 text-lg text-slate-200">{course.subtitle}</p>}
            {course.status !== 'published' && (
              <p className="mt-3 inline-block rounded bg-amber-200 px-2 py-1 text-sm font-bold text-amber-900">
                {t(`catalog.status.${course.status}`)}
              </p>
            )}
            <div className="mt-4 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm text-slate-200 [&_.text-slate-500]:text-slate-300 [&_.text-amber-700]:text-amber-300">
              <RatingBadge average={course.rating.average} count={course.rating.count} />
              <span>{t('catalog.course.students', { count: course.enrollmentCount })}</span>
              <span>
                {t('catalog.course.by')}{' '}
                <Link
                  to={`/instructors/${encodeURIComponent(course.instructor.id)}`}
                  className="font-medium text-white underline underline-offset-4"
                >
                  {course.instructor.displayName}
                </Link>
              </span>
              <span>{t(`catalog.level.${course.level}`)}</span>
              <span>{t(`catalog.languageName.${course.language}`)}</span>
            </div>
          </div>
          <div className="overflow-hidden rounded-xl bg-white text-slate-900 shadow-lg lg:row-span-2">
            <CoverPicture cover={course.cover} eager sizes="(min-width: 1024px) 352px, 100vw" />
            <EnrollBox course={course} />
          </div>
        </div>
      </header>

      <div className="mx-auto max-w-6xl px-4 sm:px-6 lg:pr-[24rem]">
        {course.description && (
          <section aria-labelledby="course-description" className="mt-10">
            <h2 id="course-description" className="text-xl font-bold text-slate-900">
              {t('catalog.course.about')}
            </h2>
            <Markdown className="mt-2 text-slate-800">{course.description}</Markdown>
          </section>
        )}

        <section aria-labelledby="course-curriculum" className="mt-10">
          <h2 id="course-curriculum" className="text-xl font-bold text-slate-900">
            {t('catalog.course.curriculum')}
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            {t('catalog.course.curriculumSummary', {
              sections: course.sections.length,
              lessons: course.lessonCount,
              duration: formatDuration(course.totalDurationSeconds, i18n.language),
            })}
          </p>
          <ol className="mt-4 space-y-3">
            {course.sections.map((section) => (
              <li key={section.id} className="rounded-xl border border-slate-200 bg-white">
                <h3 className="border-b border-slate-200 px-4 py-3 font-bold text-slate-900">{section.title}</h3>
                <ol className="divide-y divide-slate-100">
                  {section.lessons.map((lesson) => (
                    <LessonRow
                      key={lesson.id}
                      slug={course.slug}
                      lesson={lesson}
                      canOpen={canOpenLessons || lesson.isFreePreview}
                    />
                  ))}
                </ol>
              </li>
            ))}
          </ol>
        </section>

        <section aria-labelledby="course-instructor" className="mt-10">
          <h2 id="course-instructor" className="text-xl font-bold text-slate-900">
            {t('catalog.course.instructor')}
          </h2>
          <p className="mt-2">
            <Link to={`/instructors/${encodeURIComponent(course.instructor.id)}`} className={linkClass}>
              {course.instructor.displayName}
            </Link>
          </p>
          <p className="text-sm text-slate-600">
            {t('catalog.instructor.courseCount', { count: course.instructor.courseCount })}
          </p>
        </section>

        <ReviewsSection course={course} />
      </div>
    </article>
  );
}

function LessonRow({ slug, lesson, canOpen }: { slug: string; lesson: LessonSummary; canOpen: boolean }) {
  const { t, i18n } = useTranslation();
  const href = canOpen ? `/learn/${encodeURIComponent(slug)}/lessons/${encodeURIComponent(lesson.id)}` : null;
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2.5 text-sm">
      <span className="w-16 text-xs text-slate-500">{t(`catalog.lessonType.${lesson.type}`)}</span>
      <span className="flex-1 text-slate-800">
        {href ? (
          <Link to={href} className={linkClass}>
            {lesson.title}
          </Link>
        ) : (
          lesson.title
        )}
      </span>
      {lesson.isFreePreview && (
        <span className="rounded bg-emerald-100 px-2 py-0.5 text-xs font-bold text-emerald-800">
          {t('catalog.course.freePreview')}
        </span>
      )}
      {lesson.durationSeconds > 0 && (
        <span className="text-xs text-slate-500">{formatDuration(lesson.durationSeconds, i18n.language)}</span>
      )}
    </li>
  );
}

function EnrollBox({ course }: { course: CourseDetail }) {
  const { t } = useTranslation();
  const { state } = useAuth();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: catalogKeys.course(course.slug) });
  const enrollment = useMutation({
    mutationFn: () => enroll(course.id),
    onSuccess: () => {
      setMessage(t('catalog.course.enrolledNotice'));
      void queryClient.invalidateQueries({ queryKey: ['me', 'enrollments'] });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'already_enrolled') void refresh();
    },
    onSettled: refresh,
  });
  const wishlist = useMutation({
    mutationFn: (next: boolean) => setWishlisted(course.id, next),
    onSuccess: (_data, next) => {
      setMessage(next ? t('catalog.course.wishlistAdded') : t('catalog.course.wishlistRemoved'));
      void queryClient.invalidateQueries({ queryKey: ['me', 'wishlist'] });
    },
    onSettled: refresh,
  });
  const signedIn = state.status === 'authenticated';
  const free = course.isFree || !course.price || course.price.amount === 0;
  const checkoutPath = `/courses/${encodeURIComponent(course.slug)}/checkout`;
  // A visitor who logs in to buy goes on to the checkout.
  const loginHref = `/login?next=${encodeURIComponent(free ? location.pathname : checkoutPath)}`;
  const firstLesson = course.sections.flatMap((section) => section.lessons).find((lesson) => lesson.type === 'text');
  const wishlisted = wishlist.isPending ? Boolean(wishlist.variables) : Boolean(course.viewer?.wishlisted);
  const error = enrollment.error ?? wishlist.error;

  return (
    <div className="space-y-3 p-5">
      <p className="text-2xl font-bold">
        <PriceTag price={course.price} isFree={course.isFree} />
      </p>
      {course.viewer?.enrolled ? (
        <>
          <p className="text-sm font-medium text-emerald-800">{t('catalog.course.youAreEnrolled')}</p>
          {firstLesson && (
            <Link
              to={`/learn/${encodeURIComponent(course.slug)}/lessons/${encodeURIComponent(firstLesson.id)}`}
              className={`${primaryButton} w-full`}
            >
              {t('catalog.course.startLearning')}
            </Link>
          )}
        </>
      ) : course.viewer?.isOwner ? (
        <Link to={`/studio/courses/${encodeURIComponent(course.id)}`} className={`${primaryButton} w-full`}>
          {t('catalog.course.editInStudio')}
        </Link>
      ) : !signedIn ? (
        <Link to={loginHref} className={`${primaryButton} w-full`}>
          {free ? t('catalog.course.loginToEnroll') : t('catalog.course.loginToBuy')}
        </Link>
      ) : free ? (
        <button
          type="button"
          className={`${primaryButton} w-full`}
          disabled={enrollment.isPending || course.status !== 'published'}
          onClick={() => enrollment.mutate()}
        >
          {enrollment.isPending ? t('auth.pending') : t('catalog.course.enrollFree')}
        </button>
      ) : (
        <Link to={checkoutPath} className={`${primaryButton} w-full`}>
          {t('catalog.course.buy')}
        </Link>
      )}
      {signedIn && !course.viewer?.isOwner && (
        <button
          type="button"
          aria-pressed={wishlisted}
          className={`${secondaryButton} w-full`}
          disabled={wishlist.isPending}
          onClick={() => wishlist.mutate(!wishlisted)}
        >
          <span aria-hidden="true" className="mr-2">
            {wishlisted ? '♥' : '♡'}
          </span>
          {t('catalog.course.wishlist')}
        </button>
      )}
      <div aria-live="polite">{message && !error && <Notice>{message}</Notice>}</div>
      <FormAlert error={error ? describeError(error) : null} />
    </div>
  );
}
