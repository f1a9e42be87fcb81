import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/apiError';
import { describeError } from '../../auth/errorMessages';
import {
  ErrorTrackingForm,
  FormAlert,
  Notice,
  SelectField,
  SubmitButton,
  TextAreaField,
  TextField,
  dangerButton,
  focusRing,
  linkClass,
  primaryButton,
  secondaryButton,
  useFormErrors,
} from '../../components/form';
import {
  catalogKeys,
  changeCourseStatus,
  fetchCategories,
  fetchStudioCourse,
  updateStudioCourse,
  uploadCover,
} from '../api';
import { QueryState } from '../components/AsyncState';
import { categoryName } from '../components/CourseCard';
import { CoverPicture } from '../components/CoverPicture';
import { CurrencySelect } from '../components/CurrencySelect';
import { Markdown } from '../components/Markdown';
import { StatusBadge } from '../components/StatusBadge';
import { UploadProgress } from '../components/UploadProgress';
import { fromMajorUnits, toMajorUnits } from '../format';
import {
  COURSE_LANGUAGES,
  COURSE_LEVELS,
  type CourseLanguage,
  type CourseLevel,
  type Currency,
  type StudioCourse,
  TITLE_MAX,
} from '../types';
import { useDocumentTitle } from '../useDocumentTitle';
import { CurriculumEditor } from './CurriculumEditor';

export function StudioCoursePage() {
  const { id = '' } = useParams();
  const course = useQuery({
    queryKey: catalogKeys.studioCourse(id),
    queryFn: ({ signal }) => fetchStudioCourse(id, signal),
  });
  return (
    <QueryState query={course} notFoundPage>
      {(data) => <StudioCourseView course={data} />}
    </QueryState>
  );
}

function StudioCourseView({ course }: { course: StudioCourse }) {
  const { t } = useTranslation();
  useDocumentTitle(course.title);
  return (
    <div className="mx-auto max-w-5xl px-4 py-10 sm:px-6">
      <nav aria-label={t('catalog.breadcrumb')} className="text-sm">
        <Link to="/studio" className={linkClass}>
          {t('catalog.studio.title')}
        </Link>
      </nav>
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <h1 className="text-3xl font-bold tracking-tight text-slate-900">{course.title}</h1>
        <StatusBadge status={course.status} takenDown={Boolean(course.takedown)} />
      </div>
      <p className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {course.status === 'published' && (
          <Link to={`/courses/${encodeURIComponent(course.slug)}`} className={linkClass}>
            {t('catalog.studio.viewPublic')}
          </Link>
        )}
        <Link to={`/studio/courses/${encodeURIComponent(course.id)}/analytics`} className={linkClass}>
          {t('learning.analytics.link')}
        </Link>
      </p>
      {course.takedown && (
        <section
          aria-labelledby="takedown-heading"
          className="mt-6 rounded-xl border border-red-300 bg-red-50 p-4 text-red-900"
        >
          <h2 id="takedown-heading" className="font-bold">
            {t('catalog.studio.takedownTitle')}
          </h2>
          <p className="mt-1 text-sm whitespace-pre-wrap">{course.takedown.reason}</p>
        </section>
      )}
      <PublishPanel course={course} />
      <CourseForm course={course} />
      <CoverUpload course={course} />
      <CurriculumEditor course={course} />
    </div>
  );
}

function PublishPanel({ course }: { course: StudioCourse }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const action = useMutation({
    mutationFn: (kind: 'publish' | 'unpublish' | 'archive') => changeCourseStatus(course.id, kind),
    onSuccess: (_data, kind) => setDone(t(`catalog.studio.done.${kind}`)),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourse(course.id) }),
        queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourses }),
        queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
      ]),
  });
  const failing = course.checklist.items.filter((item) => !item.ok);
  const checklistFailed = action.error instanceof ApiError && action.error.code === 'publish_checklist_failed';
  return (
    <section aria-labelledby="publish-heading" className="mt-8 rounded-xl border border-slate-200 bg-white p-5">
      <h2 id="publish-heading" className="text-lg font-bold text-slate-900">
        {t('catalog.studio.publishing')}
      </h2>
      <h3 className="mt-3 text-sm font-bold text-slate-800">{t('catalog.studio.checklist')}</h3>
      <ul className="mt-2 space-y-1 text-sm">
        {course.checklist.items.map((item) => (
          <li key={item.code} className={item.ok ? 'text-emerald-800' : 'font-medium text-red-800'}>
            <span aria-hidden="true">{item.ok ? '✓ ' : '✗ '}</span>
            <span className="sr-only">
              {item.ok ? t('catalog.studio.checkOk') : t('catalog.studio.checkMissing')}:{' '}
            </span>
            {t(`catalog.studio.check.${item.code}`)}
          </li>
        ))}
      </ul>
      <div className="mt-4 flex flex-wrap gap-3">
        {course.status !== 'published' && (
          <button
            type="button"
            className={primaryButton}
            disabled={action.isPending || Boolean(course.takedown)}
            aria-describedby={failing.length > 0 ? 'publish-blocked' : undefined}
            onClick={() => action.mutate('publish')}
          >
            {t('catalog.studio.publish')}
          </button>
        )}
        {course.status === 'published' && (
          <button
            type="button"
            className={secondaryButton}
            disabled={action.isPending}
            onClick={() => action.mutate('unpublish')}
          >
            {t('catalog.studio.unpublish')}
          </button>
        )}
        {course.status !== 'archived' && (
          <button
            type="button"
            className={dangerButton}
            disabled={action.isPending}
            onClick={() => action.mutate('archive')}
          >
            {t('catalog.studio.archive')}
          </button>
        )}
      </div>
      {failing.length > 0 && (
        <p id="publish-blocked" className="mt-2 text-sm text-slate-600">
          {t('catalog.studio.publishBlocked', { count: failing.length })}
        </p>
      )}
      <div aria-live="polite" className="mt-3">
        {done && !action.isError && <Notice>{done}</Notice>}
      </div>
      {action.isError && (
        <div className="mt-3">
          {checklistFailed ? (
            <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
              {t('catalog.studio.checklistFailed')}
            </div>
          ) : (
            <FormAlert error={describeError(action.error)} />
          )}
        </div>
      )}
    </section>
  );
}

function CourseForm({ course }: { course: StudioCourse }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const form = useFormErrors();
  const id = useId();
  const categories = useQuery({ queryKey: catalogKeys.categories, queryFn: ({ signal }) => fetchCategories(signal) });
  const [title, setTitle] = useState(course.title);
  const [subtitle, setSubtitle] = useState(course.subtitle);
  const [description, setDescription] = useState(course.description);
  const [preview, setPreview] = useState(false);
  const [level, setLevel] = useState<CourseLevel>(course.level);
  const [language, setLanguage] = useState<CourseLanguage>(course.language);
  const [currency, setCurrency] = useState<Currency>(course.price?.currency ?? 'KRW');
  const [price, setPrice] = useState(
    course.price ? String(toMajorUnits(course.price.amount, course.price.currency)) : '',
  );
  const [categoryId, setCategoryId] = useState(course.categoryId ?? '');
  const [tags, setTags] = useState(course.tags.join(', '));
  const [saved, setSaved] = useState(false);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const errors: Record<string, string> = {};
    if (!title.trim()) errors.title = t('catalog.fieldRequired');
    const priceAmount = price.trim() === '' ? null : fromMajorUnits(price, currency);
    if (priceAmount === undefined) errors.priceAmount = t('catalog.studio.priceInvalid');
    if (!form.validate(errors)) return;
    void form.submit(async () => {
      await updateStudioCourse(course.id, {
        title: title.trim(),
        subtitle: subtitle.trim(),
        description,
        level,
        language,
        price: priceAmount === null || priceAmount === undefined ? null : { amount: priceAmount, currency },
        categoryId: categoryId || null,
        tags: tags
          .split(',')
          .map((tag) => tag.trim())
          .filter(Boolean),
      });
      setSaved(true);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourse(course.id) }),
        queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourses }),
        queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
      ]);
    });
  }

  const tabClass = (active: boolean) =>
    `rounded-md px-3 py-1 text-sm font-medium ${active ? 'bg-indigo-100 text-indigo-900' : 'text-slate-600 hover:bg-slate-100'} ${focusRing}`;

  return (
    <section aria-labelledby="details-heading" className="mt-8 rounded-xl border border-slate-200 bg-white p-5">
      <h2 id="details-heading" className="text-lg font-bold text-slate-900">
        {t('catalog.studio.details')}
      </h2>
      <ErrorTrackingForm form={form} onSubmit={onSubmit} className="mt-4 space-y-4">
        <TextField
          label={t('catalog.studio.field.title')}
          name="title"
          value={title}
          maxLength={TITLE_MAX}
          onChange={(event) => setTitle(event.target.value)}
          error={form.fieldErrors.title}
        />
        <TextField
          label={t('catalog.studio.field.subtitle')}
          name="subtitle"
          value={subtitle}
          maxLength={200}
          onChange={(event) => setSubtitle(event.target.value)}
          error={form.fieldErrors.subtitle}
        />
        <div>
          <div className="flex items-center justify-between">
            <span className="text-sm font-medium text-slate-800" id={`${id}-description-label`}>
              {t('catalog.studio.field.description')}
            </span>
            <div className="flex gap-1">
              <button
                type="button"
                aria-pressed={!preview}
                className={tabClass(!preview)}
                onClick={() => setPreview(false)}
              >
                {t('catalog.studio.write')}
              </button>
              <button
                type="button"
                aria-pressed={preview}
                className={tabClass(preview)}
                onClick={() => setPreview(true)}
              >
                {t('catalog.studio.preview')}
              </button>
            </div>
          </div>
          {preview ? (
            <div
              role="region"
              aria-label={t('catalog.studio.previewLabel')}
              className="mt-1 min-h-32 rounded-md border border-slate-200 bg-slate-50 px-4 py-2"
            >
              {description.trim() ? (
                <Markdown>{description}</Markdown>
              ) : (
                <p className="text-sm text-slate-500">{t('catalog.studio.previewEmpty')}</p>
              )}
            </div>
          ) : (
            <TextAreaField
              label={t('catalog.studio.field.description')}
              className="[&>label]:sr-only"
              name="description"
              rows={10}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
              error={form.fieldErrors.description}
              hint={t('catalog.studio.markdownHint')}
            />
          )}
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            label={t('catalog.studio.field.level')}
            value={level}
            onChange={(event) => setLevel(event.target.value as CourseLevel)}
          >
            {COURSE_LEVELS.map((value) => (
              <option key={value} value={value}>
                {t(`catalog.level.${value}`)}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('catalog.studio.field.language')}
            value={language}
            onChange={(event) => setLanguage(event.target.value as CourseLanguage)}
          >
            {COURSE_LANGUAGES.map((value) => (
              <option key={value} value={value}>
                {t(`catalog.languageName.${value}`)}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('catalog.studio.field.price')}
            name="priceAmount"
            inputMode="decimal"
            value={price}
            onChange={(event) => setPrice(event.target.value)}
            error={form.fieldErrors.priceAmount}
            hint={t('catalog.studio.priceHint')}
          />
          <CurrencySelect value={currency} onChange={setCurrency} />
          <SelectField
            label={t('catalog.studio.field.category')}
            value={categoryId}
            onChange={(event) => setCategoryId(event.target.value)}
          >
            <option value="">{t('catalog.studio.noCategory')}</option>
            {(categories.data?.items ?? []).map((category) => (
              <optgroup key={category.id} label={categoryName(category, i18n.language)}>
                <option value={category.id}>{categoryName(category, i18n.language)}</option>
                {category.children.map((child) => (
                  <option key={child.id} value={child.id}>
                    {categoryName(child, i18n.language)}
                  </option>
                ))}
              </optgroup>
            ))}
          </SelectField>
          <TextField
            label={t('catalog.studio.field.tags')}
            name="tags"
            value={tags}
            onChange={(event) => setTags(event.target.value)}
            error={form.fieldErrors.tags}
            hint={t('catalog.studio.tagsHint')}
          />
        </div>
        <div className="flex items-center gap-4">
          <SubmitButton pending={form.pending}>{t('catalog.studio.save')}</SubmitButton>
          <p role="status" className="text-sm text-emerald-800">
            {saved ? t('catalog.studio.saved') : ''}
          </p>
        </div>
      </ErrorTrackingForm>
    </section>
  );
}

const COVER_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const COVER_MAX_BYTES = 10 * 1024 * 1024;

function CoverUpload({ course }: { course: StudioCourse }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const upload = useMutation({
    mutationFn: (chosen: File) => uploadCover(course.id, chosen, setProgress),
    onSuccess: async () => {
      setDone(true);
      showFile(null);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourse(course.id) }),
        queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
      ]);
    },
    onSettled: () => setProgress(null),
  });

  // The preview is a blob: URL of the chosen file, released when another is chosen or the page goes.
  const previewRef = useRef<string | null>(null);
  function showFile(next: File | null) {
    if (previewRef.current) URL.revokeObjectURL(previewRef.current);
    previewRef.current = next ? URL.createObjectURL(next) : null;
    setPreviewUrl(previewRef.current);
    setFile(next);
  }
  useEffect(
    () => () => {
      if (previewRef.current) URL.revokeObjectURL(previewRef.current);
    },
    [],
  );

  function choose(chosen: File | undefined) {
    setDone(false);
    upload.reset();
    if (!chosen) return showFile(null);
    if (!COVER_TYPES.includes(chosen.type)) return setError(t('catalog.studio.coverType'));
    if (chosen.size > COVER_MAX_BYTES) return setError(t('catalog.studio.coverTooLarge'));
    setError(null);
    showFile(chosen);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (file) upload.mutate(file);
  }

  return (
    <section aria-labelledby="cover-heading" className="mt-8 rounded-xl border border-slate-200 bg-white p-5">
      <h2 id="cover-heading" className="text-lg font-bold text-slate-900">
        {t('catalog.studio.cover')}
      </h2>
      <div className="mt-4 grid gap-6 sm:grid-cols-2">
        <div>
          <p className="text-sm font-medium text-slate-800">
            {previewUrl ? t('catalog.studio.coverNew') : t('catalog.studio.coverCurrent')}
          </p>
          <div className="mt-1 overflow-hidden rounded-lg border border-slate-200">
            {previewUrl ? (
              <img
                src={previewUrl}
                alt={t('catalog.studio.coverPreviewAlt')}
                className="aspect-video w-full object-cover"
              />
            ) : (
              <CoverPicture cover={course.cover} sizes="(min-width: 640px) 460px, 90vw" eager />
            )}
          </div>
        </div>
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          <div>
            <label htmlFor={`${id}-file`} className="block text-sm font-medium text-slate-800">
              {t('catalog.studio.coverFile')}
            </label>
            <input
              id={`${id}-file`}
              type="file"
              accept={COVER_TYPES.join(',')}
              aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
              aria-invalid={error ? true : undefined}
              onChange={(event) => choose(event.target.files?.[0])}
              className={`mt-1 block w-full text-sm ${focusRing}`}
            />
            <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
              {t('catalog.studio.coverHint')}
            </p>
            {error && (
              <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-700">
                {error}
              </p>
            )}
          </div>
          <button type="submit" className={primaryButton} disabled={!file || upload.isPending}>
            {upload.isPending ? t('catalog.studio.uploading') : t('catalog.studio.uploadCover')}
          </button>
          <UploadProgress fraction={progress} label={t('catalog.studio.coverProgress')} />
          <div aria-live="polite">{done && <Notice>{t('catalog.studio.coverUploaded')}</Notice>}</div>
          <FormAlert error={upload.isError ? describeError(upload.error) : null} />
        </form>
      </div>
    </section>
  );
}
