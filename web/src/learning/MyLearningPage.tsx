import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { focusRing, linkClass } from '../components/form';
import { PageLinks, QueryState } from '../catalog/components/AsyncState';
import { CoverPicture } from '../catalog/components/CoverPicture';
import { MyLearningFrame } from '../catalog/pages/MyLearningPages';
import { formatRelativeTime, formatShortDateTime } from '../lib/time';
import { useNow } from '../lib/useNow';
import { formatClock } from '../videos/format';
import { fetchMyLearning, learningKeys } from './api';
import { ProgressMeter } from './ProgressMeter';
import type { ContinueWatchingItem, CourseProgressItem, MyLearning } from './types';

const lessonPath = (slug: string, lessonId: string) =>
  `/learn/${encodeURIComponent(slug)}/lessons/${encodeURIComponent(lessonId)}`;

/** My learning: the lessons to pick up again, then every enrolled course with how far it got. */
export function MyLearningPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const learning = useQuery({
    queryKey: learningKeys.myLearning(page),
    queryFn: ({ signal }) => fetchMyLearning(page, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <MyLearningFrame title={t('learning.tab')}>
      <QueryState query={learning}>
        {(data) => (
          <LearningOverview
            data={data}
            page={page}
            onPage={(next) => setParams(next > 1 ? { page: String(next) } : {})}
          />
        )}
      </QueryState>
    </MyLearningFrame>
  );
}

function LearningOverview({ data, page, onPage }: { data: MyLearning; page: number; onPage: (page: number) => void }) {
  const { t } = useTranslation();
  const { continueWatching, courses } = data;
  if (continueWatching.length === 0 && courses.total === 0) {
    return (
      <div className="rounded-xl border border-dashed border-slate-300 p-8 text-center">
        <p className="text-slate-700">{t('learning.empty')}</p>
        <p className="mt-3">
          <Link to="/search" className={linkClass}>
            {t('learning.browse')}
          </Link>
        </p>
      </div>
    );
  }
  return (
    <div className="flex flex-col gap-10">
      {/* Only the first page leads with it: further pages are about the course list. */}
      {continueWatching.length > 0 && page === 1 && (
        <section aria-labelledby="continue-watching">
          <h3 id="continue-watching" className="text-xl font-bold text-slate-900">
            {t('learning.continueHeading')}
          </h3>
          <ul aria-labelledby="continue-watching" className="mt-4 grid gap-5 sm:grid-cols-2 lg:grid-cols-3">
            {continueWatching.map((item, index) => (
              <li key={item.lessonId}>
                <ContinueCard item={item} eager={index < 3} />
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="course-progress">
        <h3 id="course-progress" className="text-xl font-bold text-slate-900">
          {t('learning.coursesHeading')}
        </h3>
        {courses.items.length === 0 ? (
          <p className="mt-4 text-slate-600">{t('learning.noCoursesOnPage')}</p>
        ) : (
          <ul aria-labelledby="course-progress" className="mt-4 divide-y divide-slate-200">
            {courses.items.map((course) => (
              <li key={course.courseId}>
                <CourseProgressRow course={course} />
              </li>
            ))}
          </ul>
        )}
        <PageLinks page={page} total={courses.total} pageSize={courses.pageSize} onPage={onPage} />
      </section>
    </div>
  );
}

function ContinueCard({ item, eager }: { item: ContinueWatchingItem; eager: boolean }) {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const position = formatClock(item.positionSeconds);
  const duration = formatClock(item.durationSeconds);
  return (
    <article className="relative flex h-full flex-col overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm transition hover:shadow-md">
      <CoverPicture cover={item.cover} eager={eager} sizes="(min-width: 1024px) 360px, (min-width: 640px) 45vw, 90vw" />
      <div className="flex flex-1 flex-col gap-1 p-4">
        <p className="line-clamp-1 text-sm text-slate-600">{item.courseTitle}</p>
        <h4 className="line-clamp-2 font-bold text-slate-900">
          <Link
            to={lessonPath(item.courseSlug, item.lessonId)}
            className={`rounded-sm after:absolute after:inset-0 hover:text-indigo-800 ${focusRing}`}
          >
            {item.lessonTitle}
          </Link>
        </h4>
        <div className="mt-auto pt-2">
          <ProgressMeter
            value={item.positionSeconds}
            max={item.durationSeconds}
            label={t('learning.positionLabel', { lesson: item.lessonTitle })}
            valueText={t('learning.positionOf', { position, duration })}
          />
          <p className="mt-1 flex justify-between gap-2 text-xs text-slate-500">
            <span>{t('learning.positionOf', { position, duration })}</span>
            <span>{formatRelativeTime(new Date(item.updatedAt), now, i18n.language)}</span>
          </p>
        </div>
      </div>
    </article>
  );
}

function CourseProgressRow({ course }: { course: CourseProgressItem }) {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const percent = Math.round(course.percent);
  return (
    <article className="flex items-start gap-4 py-5 sm:items-center">
      <div className="w-24 shrink-0 overflow-hidden rounded-lg sm:w-44">
        <CoverPicture cover={course.cover} sizes="(min-width: 640px) 176px, 96px" />
      </div>
      <div className="flex min-w-0 flex-1 flex-col gap-2">
        <h4 className="font-bold text-slate-900">
          <Link
            to={`/courses/${encodeURIComponent(course.slug)}`}
            className={`rounded-sm hover:text-indigo-800 ${focusRing}`}
          >
            {course.title}
          </Link>
        </h4>
        <div className="flex items-center gap-3">
          <ProgressMeter
            value={percent}
            label={t('learning.percentLabel', { title: course.title })}
            valueText={t('learning.percent', { percent })}
            className="max-w-md"
          />
          <span className="w-12 text-right text-sm font-bold text-slate-900 tabular-nums">
            {t('learning.percent', { percent })}
          </span>
        </div>
        <p className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-600">
          <span>{t('learning.lessonsDone', { completed: course.completedLessons, total: course.totalLessons })}</span>
          <span>
            {course.lastActivityAt
              ? t('learning.lastActivity', {
                  when: formatRelativeTime(new Date(course.lastActivityAt), now, i18n.language),
                })
              : t('learning.notStarted')}
          </span>
          {course.completedAt && (
            <span className="font-medium text-emerald-800">
              {t('learning.completedOn', { date: formatShortDateTime(new Date(course.completedAt), i18n.language) })}
            </span>
          )}
        </p>
        <CertificateLine course={course} />
      </div>
    </article>
  );
}

/**
 * A completed course's certificate: a link once the certificate job has issued it, and until then
 * a line saying it is on its way rather than nothing.
 */
function CertificateLine({ course }: { course: CourseProgressItem }) {
  const { t } = useTranslation();
  const { certificate } = course;
  if (!certificate) {
    return course.completedAt ? <p className="text-sm text-slate-600">{t('learning.certificatePending')}</p> : null;
  }
  return (
    <p className="text-sm">
      <Link to={`/certificates/${encodeURIComponent(certificate.code)}`} className={linkClass}>
        {t('learning.certificate')}
      </Link>
    </p>
  );
}
