import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { focusRing } from '../../components/form';
import type { CourseDetail } from '../../catalog/types';
import { formatClock } from '../format';
import type { CourseProgress } from './api';

interface LessonSidebarProps {
  course: CourseDetail;
  slug: string;
  currentLessonId: string;
  progress: CourseProgress | null;
  /** Enrolled (or the owner): every lesson opens; otherwise only free previews do. */
  canOpen: boolean;
}

/**
 * The course's sections and lessons beside a lesson: completion ticks, the current lesson marked
 * (aria-current), plain links in reading order. On a phone it folds away behind a toggle.
 */
export function LessonSidebar({ course, slug, currentLessonId, progress, canOpen }: LessonSidebarProps) {
  const { t } = useTranslation();
  const listId = useId();
  const [open, setOpen] = useState(false);
  const completed = new Set(progress?.lessons.filter((lesson) => lesson.completed).map((lesson) => lesson.lessonId));
  return (
    <aside aria-labelledby={`${listId}-heading`} className="mt-8 lg:mt-0">
      <div className="flex items-center justify-between gap-2 rounded-t-lg border border-slate-200 bg-slate-50 px-4 py-3">
        <h2 id={`${listId}-heading`} className="text-base font-bold text-slate-900">
          {t('player.sidebar.title')}
        </h2>
        {progress && (
          <span className="text-xs text-slate-600">
            {t('player.sidebar.progress', { done: progress.completedLessons, total: progress.totalLessons })}
          </span>
        )}
        <button
          type="button"
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen((value) => !value)}
          className={`rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium text-slate-800 lg:hidden ${focusRing}`}
        >
          {open ? t('player.sidebar.hide') : t('player.sidebar.show')}
        </button>
      </div>
      <div
        id={listId}
        className={`${open ? 'block' : 'hidden'} rounded-b-lg border border-t-0 border-slate-200 lg:block`}
      >
        {course.sections.map((section) => (
          <section key={section.id} aria-label={section.title}>
            <h3 className="border-b border-slate-100 px-4 pt-3 pb-1 text-sm font-bold text-slate-800">
              {section.title}
            </h3>
            <ol className="py-1">
              {section.lessons.map((lesson) => {
                const current = lesson.id === currentLessonId;
                const done = completed.has(lesson.id);
                const openable = canOpen || lesson.isFreePreview;
                const label = (
                  <>
                    <span aria-hidden="true" className={`w-4 shrink-0 ${done ? 'text-emerald-700' : 'text-slate-300'}`}>
                      {done ? '✓' : '○'}
                    </span>
                    <span className="min-w-0 flex-1 break-words">{lesson.title}</span>
                    {lesson.type === 'video' && lesson.durationSeconds > 0 && (
                      <span className="shrink-0 text-xs text-slate-500">{formatClock(lesson.durationSeconds)}</span>
                    )}
                    {done && <span className="sr-only">{t('player.sidebar.completed')}</span>}
                  </>
                );
                const row = `flex items-start gap-2 px-4 py-2 text-sm ${current ? 'bg-indigo-50 font-bold text-indigo-900' : 'text-slate-800'}`;
                return (
                  <li key={lesson.id}>
                    {openable && !current ? (
                      <Link
                        to={`/learn/${encodeURIComponent(slug)}/lessons/${encodeURIComponent(lesson.id)}`}
                        className={`${row} hover:bg-slate-50 ${focusRing}`}
                      >
                        {label}
                      </Link>
                    ) : (
                      <span className={row} aria-current={current ? 'page' : undefined}>
                        {label}
                      </span>
                    )}
                  </li>
                );
              })}
            </ol>
          </section>
        ))}
      </div>
    </aside>
  );
}
