import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/apiError';
import { describeError } from '../../auth/errorMessages';
import { FormAlert, linkClass, secondaryButton } from '../../components/form';
import { catalogKeys, fetchAttachmentUrl, fetchLesson } from '../api';
import { Loading } from '../components/AsyncState';
import { Markdown } from '../components/Markdown';
import { formatBytes } from '../format';
import type { Lesson } from '../types';
import { useDocumentTitle } from '../useDocumentTitle';
import { LessonVideoArea } from '../../videos/LessonVideoArea';

/** A lesson: its video (when it has one), Markdown body and attachments (signed links fetched on click). */
export function LessonPage() {
  const { t } = useTranslation();
  const { slug = '', lessonId = '' } = useParams();
  const lesson = useQuery({
    queryKey: catalogKeys.lesson(lessonId),
    queryFn: ({ signal }) => fetchLesson(lessonId, signal),
    retry: false,
  });
  const courseHref = `/courses/${encodeURIComponent(slug)}`;
  return (
    <section className="mx-auto max-w-3xl px-4 py-10 sm:px-6">
      <nav aria-label={t('catalog.breadcrumb')} className="text-sm">
        <Link to={courseHref} className={linkClass}>
          {t('catalog.lesson.backToCourse')}
        </Link>
      </nav>
      {lesson.isPending ? (
        <Loading />
      ) : lesson.isError ? (
        <div className="mt-6">
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
        <LessonView lesson={lesson.data} />
      )}
    </section>
  );
}

function LessonView({ lesson }: { lesson: Lesson }) {
  const { t, i18n } = useTranslation();
  useDocumentTitle(lesson.title);
  const download = useMutation({
    mutationFn: (attachmentId: string) => fetchAttachmentUrl(lesson.id, attachmentId),
    onSuccess: ({ url }) => {
      window.location.assign(url);
    },
  });
  return (
    <article className="mt-4">
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{lesson.title}</h1>
      {lesson.type === 'video' && <LessonVideoArea video={lesson.video} title={lesson.title} />}
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
    </article>
  );
}
