import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ErrorTrackingForm, SubmitButton, TextField, linkClass, useFormErrors } from '../../components/form';
import { formatShortDateTime } from '../../lib/time';
import { catalogKeys, createStudioCourse, fetchStudioCourses } from '../api';
import { TITLE_MAX } from '../types';
import { QueryState } from '../components/AsyncState';
import { StatusBadge } from '../components/StatusBadge';
import { useDocumentTitle } from '../useDocumentTitle';

export function StudioCoursesPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('catalog.studio.title'));
  const courses = useQuery({
    queryKey: catalogKeys.studioCourses,
    queryFn: ({ signal }) => fetchStudioCourses(signal),
  });
  return (
    <section className="mx-auto max-w-5xl px-4 py-10 sm:px-6">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-2">
        <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t('catalog.studio.title')}</h1>
        <Link to="/studio/videos" className={linkClass}>
          {t('videos.library.title')}
        </Link>
      </div>
      <CreateCourse />
      <h2 className="mt-10 text-xl font-bold text-slate-900">{t('catalog.studio.myCourses')}</h2>
      <QueryState query={courses}>
        {(page) =>
          page.items.length === 0 ? (
            <p className="mt-4 text-slate-600">{t('catalog.studio.noCourses')}</p>
          ) : (
            <ul className="mt-4 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white">
              {page.items.map((course) => (
                <li key={course.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3">
                  <Link to={`/studio/courses/${encodeURIComponent(course.id)}`} className={`flex-1 ${linkClass}`}>
                    {course.title}
                  </Link>
                  <StatusBadge status={course.status} takenDown={course.takenDown} />
                  <span className="text-xs text-slate-500">
                    {t('catalog.studio.updatedAt', {
                      date: formatShortDateTime(new Date(course.updatedAt), i18n.language),
                    })}
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}

function CreateCourse() {
  const { t } = useTranslation();
  const form = useFormErrors();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [title, setTitle] = useState('');
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!form.validate(title.trim() ? {} : { title: t('catalog.fieldRequired') })) return;
    void form.submit(async () => {
      const course = await createStudioCourse({ title: title.trim() });
      await queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourses });
      void navigate(`/studio/courses/${encodeURIComponent(course.id)}`);
    });
  }
  return (
    <ErrorTrackingForm
      form={form}
      onSubmit={onSubmit}
      className="mt-6 max-w-xl space-y-3 rounded-xl border border-slate-200 bg-white p-5"
    >
      <h2 className="text-lg font-bold text-slate-900">{t('catalog.studio.create')}</h2>
      <TextField
        label={t('catalog.studio.field.title')}
        name="title"
        value={title}
        maxLength={TITLE_MAX}
        onChange={(event) => setTitle(event.target.value)}
        error={form.fieldErrors.title}
      />
      <SubmitButton pending={form.pending}>{t('catalog.studio.createSubmit')}</SubmitButton>
    </ErrorTrackingForm>
  );
}
