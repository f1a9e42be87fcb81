import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { catalogKeys, fetchInstructor } from '../api';
import { QueryState } from '../components/AsyncState';
import { CourseGrid } from '../components/CourseCard';
import { formatCount, formatRating } from '../format';
import type { InstructorProfile } from '../types';
import { useDocumentTitle } from '../useDocumentTitle';

export function InstructorPage() {
  const { id = '' } = useParams();
  const instructor = useQuery({
    queryKey: catalogKeys.instructor(id),
    queryFn: ({ signal }) => fetchInstructor(id, signal),
  });
  return (
    <QueryState query={instructor} notFoundPage>
      {(data) => <InstructorView instructor={data} />}
    </QueryState>
  );
}

function InstructorView({ instructor }: { instructor: InstructorProfile }) {
  const { t, i18n } = useTranslation();
  useDocumentTitle(instructor.displayName);
  const stats = [
    [t('catalog.instructor.courses'), formatCount(instructor.stats.courseCount, i18n.language)],
    [t('catalog.instructor.students'), formatCount(instructor.stats.studentCount, i18n.language)],
    [
      t('catalog.instructor.rating'),
      instructor.stats.ratingCount > 0 ? formatRating(instructor.stats.ratingAverage, i18n.language) : '—',
    ],
    [t('catalog.instructor.reviews'), formatCount(instructor.stats.ratingCount, i18n.language)],
  ] as const;
  return (
    <section className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <p className="text-sm font-bold text-indigo-700">{t('catalog.instructor.eyebrow')}</p>
      <h1 className="mt-1 text-3xl font-bold tracking-tight text-slate-900">{instructor.displayName}</h1>
      <dl className="mt-6 grid max-w-2xl grid-cols-2 gap-4 sm:grid-cols-4">
        {stats.map(([label, value]) => (
          <div key={label} className="rounded-xl border border-slate-200 bg-white p-4">
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="mt-1 text-xl font-bold text-slate-900">{value}</dd>
          </div>
        ))}
      </dl>
      <h2 className="mt-10 text-xl font-bold text-slate-900">{t('catalog.instructor.coursesHeading')}</h2>
      <div className="mt-4">
        {instructor.courses.length === 0 ? (
          <p className="text-slate-600">{t('catalog.empty')}</p>
        ) : (
          <CourseGrid courses={instructor.courses} eagerCount={4} />
        )}
      </div>
    </section>
  );
}
