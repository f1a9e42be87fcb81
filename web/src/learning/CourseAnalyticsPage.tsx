import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { QueryState } from '../catalog/components/AsyncState';
import { catalogKeys, fetchStudioCourse } from '../catalog/api';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { SelectField, linkClass } from '../components/form';
import { formatClock } from '../videos/format';
import { fetchCourseAnalytics, fetchLessonRetention, learningKeys } from './api';
import { formatShare } from './chart';
import { ProgressMeter } from './ProgressMeter';
import { RetentionChart } from './RetentionChart';
import type { CourseAnalytics, LessonAnalytics } from './types';

/** The studio's numbers for one course: who finished it, each lesson's completion, and retention. */
export function CourseAnalyticsPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const course = useQuery({
    queryKey: catalogKeys.studioCourse(id),
    queryFn: ({ signal }) => fetchStudioCourse(id, signal),
  });
  const analytics = useQuery({
    queryKey: learningKeys.analytics(id),
    queryFn: ({ signal }) => fetchCourseAnalytics(id, signal),
  });
  useDocumentTitle(course.data ? t('learning.analytics.documentTitle', { course: course.data.title }) : undefined);
  return (
    <QueryState query={course} notFoundPage>
      {(studioCourse) => (
        <div className="mx-auto max-w-5xl px-4 py-10 sm:px-6">
          <nav aria-label={t('catalog.breadcrumb')} className="flex flex-wrap gap-x-2 text-sm">
            <Link to="/studio" className={linkClass}>
              {t('catalog.studio.title')}
            </Link>
            <span aria-hidden="true">/</span>
            <Link to={`/studio/courses/${encodeURIComponent(studioCourse.id)}`} className={linkClass}>
              {studioCourse.title}
            </Link>
          </nav>
          <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">{t('learning.analytics.title')}</h1>
          <p className="mt-1 text-slate-600">{studioCourse.title}</p>
          <QueryState query={analytics}>{(data) => <AnalyticsView analytics={data} />}</QueryState>
        </div>
      )}
    </QueryState>
  );
}

function AnalyticsView({ analytics }: { analytics: CourseAnalytics }) {
  const { t, i18n } = useTranslation();
  const rate = analytics.students > 0 ? analytics.completedStudents / analytics.students : 0;
  const number = new Intl.NumberFormat(i18n.language);
  return (
    <>
      <section aria-labelledby="analytics-summary" className="mt-8">
        <h2 id="analytics-summary" className="sr-only">
          {t('learning.analytics.summary')}
        </h2>
        <dl className="grid gap-4 sm:grid-cols-3">
          <Stat label={t('learning.analytics.students')}>{number.format(analytics.students)}</Stat>
          <Stat label={t('learning.analytics.completedStudents')}>{number.format(analytics.completedStudents)}</Stat>
          <Stat label={t('learning.analytics.completionRate')}>{formatShare(rate, i18n.language)}</Stat>
        </dl>
      </section>
      <LessonTable lessons={analytics.lessons} />
      <RetentionSection lessons={analytics.lessons.filter((lesson) => lesson.type === 'video')} />
    </>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-bold text-slate-900 tabular-nums">{children}</dd>
    </div>
  );
}

function LessonTable({ lessons }: { lessons: LessonAnalytics[] }) {
  const { t, i18n } = useTranslation();
  const number = new Intl.NumberFormat(i18n.language);
  return (
    <section aria-labelledby="analytics-lessons" className="mt-10">
      <h2 id="analytics-lessons" className="text-xl font-bold text-slate-900">
        {t('learning.analytics.lessonsHeading')}
      </h2>
      {lessons.length === 0 ? (
        <p className="mt-3 text-slate-600">{t('learning.analytics.noLessons')}</p>
      ) : (
        // A phone scrolls the table rather than the page.
        <div className="mt-3 overflow-x-auto">
          <table aria-labelledby="analytics-lessons" className="w-full min-w-xl text-left text-sm">
            <thead className="border-b border-slate-300 text-slate-700">
              <tr>
                <th scope="col" className="py-2 pr-4 font-semibold">
                  {t('learning.analytics.lesson')}
                </th>
                <th scope="col" className="py-2 pr-4 font-semibold">
                  {t('learning.analytics.type')}
                </th>
                <th scope="col" className="py-2 pr-4 text-right font-semibold">
                  {t('learning.analytics.viewers')}
                </th>
                <th scope="col" className="py-2 pr-4 text-right font-semibold">
                  {t('learning.analytics.completions')}
                </th>
                <th scope="col" className="w-48 py-2 font-semibold">
                  {t('learning.analytics.completionRate')}
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {lessons.map((lesson) => {
                const rate = formatShare(lesson.completionRate, i18n.language);
                return (
                  <tr key={lesson.lessonId}>
                    <th scope="row" className="py-2 pr-4 font-medium text-slate-900">
                      {lesson.title}{' '}
                      {lesson.type === 'video' && lesson.durationSeconds > 0 && (
                        <span className="ml-2 text-xs font-normal text-slate-500 tabular-nums">
                          {formatClock(lesson.durationSeconds)}
                        </span>
                      )}
                    </th>
                    <td className="py-2 pr-4 text-slate-700">{t(`catalog.lessonType.${lesson.type}`)}</td>
                    <td className="py-2 pr-4 text-right text-slate-700 tabular-nums">
                      {number.format(lesson.viewers)}
                    </td>
                    <td className="py-2 pr-4 text-right text-slate-700 tabular-nums">
                      {number.format(lesson.completions)}
                    </td>
                    <td className="py-2">
                      <div className="flex items-center gap-2">
                        <ProgressMeter
                          value={Math.round(lesson.completionRate * 100)}
                          label={t('learning.analytics.rateLabel', { lesson: lesson.title })}
                          valueText={rate}
                        />
                        <span className="w-10 text-right text-slate-900 tabular-nums">{rate}</span>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One video lesson's retention at a time, picked from a list kept in the URL (?lesson=). */
function RetentionSection({ lessons }: { lessons: LessonAnalytics[] }) {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const selected = lessons.find((lesson) => lesson.lessonId === params.get('lesson')) ?? lessons[0];
  const retention = useQuery({
    queryKey: learningKeys.retention(selected?.lessonId ?? ''),
    queryFn: ({ signal }) => fetchLessonRetention(selected?.lessonId ?? '', signal),
    enabled: Boolean(selected),
  });
  return (
    <section aria-labelledby="analytics-retention" className="mt-10">
      <h2 id="analytics-retention" className="text-xl font-bold text-slate-900">
        {t('learning.analytics.retentionHeading')}
      </h2>
      <p className="mt-1 text-sm text-slate-600">{t('learning.analytics.retentionIntro')}</p>
      {!selected ? (
        <p className="mt-3 text-slate-600">{t('learning.analytics.noVideoLessons')}</p>
      ) : (
        <>
          {lessons.length > 1 && (
            <SelectField
              label={t('learning.analytics.videoLesson')}
              className="mt-4 max-w-md"
              value={selected.lessonId}
              onChange={(event) => setParams({ lesson: event.target.value }, { replace: true })}
            >
              {lessons.map((lesson) => (
                <option key={lesson.lessonId} value={lesson.lessonId}>
                  {lesson.title}
                </option>
              ))}
            </SelectField>
          )}
          <QueryState query={retention}>
            {(data) =>
              data.viewers === 0 ? (
                <p className="mt-4 text-slate-600">{t('learning.analytics.noViewers')}</p>
              ) : (
                <RetentionChart retention={data} lessonTitle={selected.title} />
              )
            }
          </QueryState>
        </>
      )}
    </section>
  );
}
