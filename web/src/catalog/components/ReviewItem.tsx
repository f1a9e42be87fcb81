import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatShortDateTime } from '../../lib/time';
import type { Review } from '../types';
import { Stars } from './Rating';

/**
 * Review text exactly as written, as a text node: markup in it (`<img onerror>`, `javascript:`
 * links) is shown, never interpreted. Line breaks are kept by CSS, not by turning them into <br>.
 */
export function ReviewText({ text, className = '' }: { text: string; className?: string }) {
  return <p className={`text-sm leading-6 break-words whitespace-pre-wrap text-slate-800 ${className}`}>{text}</p>;
}

/** One review with its instructor reply; `actions` holds the buttons the viewer may use. */
export function ReviewItem({ review, actions }: { review: Review; actions?: ReactNode }) {
  const { t, i18n } = useTranslation();
  const name =
    review.author.deleted || !review.author.displayName ? t('catalog.reviews.deletedUser') : review.author.displayName;
  return (
    <article className="rounded-xl border border-slate-200 bg-white p-4" aria-label={t('catalog.reviews.by', { name })}>
      <header className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <Stars value={review.rating} />
        <p className="font-medium text-slate-900">{name}</p>
        <p className="text-xs text-slate-500">
          <time dateTime={review.createdAt}>{formatShortDateTime(new Date(review.createdAt), i18n.language)}</time>
          {review.edited && ` · ${t('catalog.reviews.edited')}`}
        </p>
      </header>
      <ReviewText text={review.body} className="mt-2" />
      {review.reply && (
        <div className="mt-3 rounded-lg border-l-4 border-indigo-300 bg-indigo-50 p-3">
          <p className="text-xs font-bold text-indigo-900">{t('catalog.reviews.instructorReply')}</p>
          <ReviewText text={review.reply.body} className="mt-1" />
        </div>
      )}
      {actions && <div className="mt-3 flex flex-wrap gap-2">{actions}</div>}
    </article>
  );
}
