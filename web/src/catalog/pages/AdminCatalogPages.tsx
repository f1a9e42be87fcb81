import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { describeError } from '../../auth/errorMessages';
import { FilterSelect, PagedListState, Pager } from '../../components/adminList';
import { FormAlert, SelectField, dangerButton, inputClass, linkClass, secondaryButton } from '../../components/form';
import { formatShortDateTime } from '../../lib/time';
import {
  catalogKeys,
  fetchAdminCourses,
  fetchReviewReports,
  hideReview,
  restoreCourse,
  takedownCourse,
  unhideReview,
} from '../api';
import { ReasonForm } from '../components/ReviewForm';
import { ReviewText } from '../components/ReviewItem';
import { StatusBadge } from '../components/StatusBadge';
import { COURSE_STATUSES, type AdminCourse, type CourseStatus, type ReportState, type ReviewReport } from '../types';

const REPORT_STATES: readonly ReportState[] = ['open', 'resolved', 'all'];
import { useDocumentTitle } from '../useDocumentTitle';

export function AdminCoursesPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('catalog.admin.courses.title'));
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<CourseStatus | ''>('');
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const query = { status: status || undefined, q: q || undefined, page };
  const courses = useQuery({
    queryKey: catalogKeys.adminCourses(query),
    queryFn: ({ signal }) => fetchAdminCourses(query, signal),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['admin', 'courses'] }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
    ]);
  const restore = useMutation({ mutationFn: (id: string) => restoreCourse(id), onSettled: refresh });

  return (
    <section className="mx-auto max-w-4xl px-4 py-12 sm:px-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">
        {t('catalog.admin.courses.title')}
      </h1>
      <div className="mt-6 flex flex-wrap items-end gap-4">
        <div className="w-48">
          <FilterSelect
            id="admin-course-status"
            label={t('admin.users.status')}
            value={status}
            options={COURSE_STATUSES.map((value) => ({ value, label: t(`catalog.status.${value}`) }))}
            onChange={(value) => {
              setStatus(value);
              setPage(1);
            }}
          />
        </div>
        <form
          role="search"
          className="flex flex-1 items-end gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            setQ(text.trim());
            setPage(1);
          }}
        >
          <div className="flex-1">
            <label htmlFor="admin-course-q" className="block text-sm font-medium text-slate-800">
              {t('catalog.admin.courses.search')}
            </label>
            <input
              id="admin-course-q"
              type="search"
              value={text}
              onChange={(event) => setText(event.target.value)}
              className={inputClass}
            />
          </div>
          <button type="submit" className={secondaryButton}>
            {t('catalog.admin.courses.searchSubmit')}
          </button>
        </form>
      </div>
      <div className="mt-4">
        <FormAlert error={restore.isError ? describeError(restore.error) : null} />
      </div>
      <PagedListState query={courses} emptyText={t('catalog.admin.courses.empty')}>
        {(items) => (
          <ul className="mt-6 space-y-4">
            {items.map((course) => (
              <AdminCourseItem
                key={course.id}
                course={course}
                busy={restore.isPending}
                onRestore={() => restore.mutate(course.id)}
                onChanged={refresh}
              />
            ))}
          </ul>
        )}
      </PagedListState>
      <Pager page={page} result={courses.data} onPageChange={setPage} />
    </section>
  );
}

function AdminCourseItem({
  course,
  busy,
  onRestore,
  onChanged,
}: {
  course: AdminCourse;
  busy: boolean;
  onRestore: () => void;
  onChanged: () => Promise<unknown>;
}) {
  const { t, i18n } = useTranslation();
  return (
    <li className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-center gap-3">
        <Link to={`/courses/${encodeURIComponent(course.slug)}`} className={`font-bold ${linkClass}`}>
          {course.title}
        </Link>
        <StatusBadge status={course.status} takenDown={Boolean(course.takedown)} />
      </div>
      <p className="mt-1 text-xs text-slate-500">
        {course.instructor.displayName} ·{' '}
        {formatShortDateTime(new Date(course.publishedAt ?? course.createdAt), i18n.language)}
      </p>
      {course.takedown && (
        <p className="mt-2 text-sm text-red-800">
          {t('catalog.admin.courses.reason', { reason: course.takedown.reason })}
        </p>
      )}
      <ModerationActions
        title={course.title}
        applied={Boolean(course.takedown)}
        busy={busy}
        actionLabel={t('catalog.admin.courses.takedown')}
        reasonLabel={t('catalog.admin.courses.takedownReason')}
        onAction={(reason) => takedownCourse(course.id, reason)}
        undoLabel={t('catalog.admin.courses.restore')}
        onUndo={onRestore}
        onChanged={onChanged}
      />
    </li>
  );
}

export function AdminReviewsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('catalog.admin.reviews.title'));
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [state, setState] = useState<ReportState>('open');
  const query = { state, page };
  const reports = useQuery({
    queryKey: catalogKeys.reviewReports(query),
    queryFn: ({ signal }) => fetchReviewReports(query, signal),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['admin', 'review-reports'] }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
    ]);
  const unhide = useMutation({ mutationFn: (id: string) => unhideReview(id), onSettled: refresh });
  return (
    <section className="mx-auto max-w-4xl px-4 py-12 sm:px-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">
        {t('catalog.admin.reviews.title')}
      </h1>
      <SelectField
        label={t('catalog.admin.reviews.state')}
        value={state}
        onChange={(event) => {
          setState(event.target.value as ReportState);
          setPage(1);
        }}
        className="mt-6 max-w-xs"
      >
        {REPORT_STATES.map((value) => (
          <option key={value} value={value}>
            {t(`catalog.admin.reviews.states.${value}`)}
          </option>
        ))}
      </SelectField>
      <div className="mt-4">
        <FormAlert error={unhide.isError ? describeError(unhide.error) : null} />
      </div>
      <PagedListState query={reports} emptyText={t('catalog.admin.reviews.empty')}>
        {(items) => (
          <ul className="mt-6 space-y-4">
            {items.map((report) => (
              <ReportItem
                key={report.id}
                report={report}
                busy={unhide.isPending}
                onUnhide={() => unhide.mutate(report.review.id)}
                onChanged={refresh}
              />
            ))}
          </ul>
        )}
      </PagedListState>
      <Pager page={page} result={reports.data} onPageChange={setPage} />
    </section>
  );
}

function ReportItem({
  report,
  busy,
  onUnhide,
  onChanged,
}: {
  report: ReviewReport;
  busy: boolean;
  onUnhide: () => void;
  onChanged: () => Promise<unknown>;
}) {
  const { t, i18n } = useTranslation();
  const hidden = report.review.status === 'hidden';
  return (
    <li className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <p className="text-sm">
        <Link to={`/courses/${encodeURIComponent(report.course.slug)}`} className="font-bold text-slate-900 underline">
          {report.course.title}
        </Link>
      </p>
      <p className="mt-1 text-xs text-slate-500">
        {t('catalog.admin.reviews.meta', {
          author: report.review.author.displayName ?? t('catalog.reviews.deletedUser'),
          rating: report.review.rating,
          reporter: report.reporter.displayName ?? t('catalog.reviews.deletedUser'),
          date: formatShortDateTime(new Date(report.createdAt), i18n.language),
        })}
      </p>
      <ReviewText text={report.review.body} className="mt-3 rounded-md bg-slate-50 p-3" />
      <p className="mt-2 text-sm text-slate-700">
        <span className="font-medium">{t('catalog.admin.reviews.reportReason')}</span>{' '}
        <span className="whitespace-pre-wrap">{report.reason}</span>
      </p>
      {hidden && (
        <p className="mt-2 text-sm text-red-800">
          {t('catalog.admin.reviews.hiddenBecause', { reason: report.review.hiddenReason ?? '' })}
        </p>
      )}
      <ModerationActions
        title={report.course.title}
        applied={hidden}
        busy={busy}
        actionLabel={t('catalog.admin.reviews.hide')}
        reasonLabel={t('catalog.admin.reviews.hideReason')}
        onAction={(reason) => hideReview(report.review.id, reason)}
        undoLabel={t('catalog.admin.reviews.unhide')}
        onUndo={onUnhide}
        onChanged={onChanged}
      />
    </li>
  );
}

/**
 * A moderation action that needs a written reason (take down, hide) and its undo (restore,
 * unhide): the undo while the action stands, otherwise a button that opens the reason form.
 * Both buttons are named with `title`, so a list of them reads apart.
 */
function ModerationActions({
  title,
  applied,
  busy,
  actionLabel,
  reasonLabel,
  onAction,
  undoLabel,
  onUndo,
  onChanged,
}: {
  title: string;
  applied: boolean;
  busy: boolean;
  actionLabel: string;
  reasonLabel: string;
  onAction: (reason: string) => Promise<unknown>;
  undoLabel: string;
  onUndo: () => void;
  onChanged: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [writingReason, setWritingReason] = useState(false);
  return (
    <div className="mt-3 flex flex-wrap gap-3">
      {applied ? (
        <button
          type="button"
          className={secondaryButton}
          disabled={busy}
          aria-label={t('catalog.admin.named', { action: undoLabel, title })}
          onClick={onUndo}
        >
          {undoLabel}
        </button>
      ) : (
        !writingReason && (
          <button
            type="button"
            className={dangerButton}
            aria-label={t('catalog.admin.named', { action: actionLabel, title })}
            onClick={() => setWritingReason(true)}
          >
            {actionLabel}
          </button>
        )
      )}
      {writingReason && (
        <ReasonForm
          label={reasonLabel}
          submitLabel={actionLabel}
          onCancel={() => setWritingReason(false)}
          onSubmit={async (reason) => {
            await onAction(reason);
            setWritingReason(false);
            await onChanged();
          }}
        />
      )}
    </div>
  );
}
