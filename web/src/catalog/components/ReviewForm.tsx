import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  ErrorTrackingForm,
  SubmitButton,
  TextAreaField,
  focusRing,
  secondaryButton,
  useFormErrors,
} from '../../components/form';

export const REVIEW_MAX = 5000;

/** Stars (a radio group) and text; used both to write a review and to edit one's own. */
export function ReviewForm({
  initial,
  onSubmit,
  onCancel,
}: {
  initial?: { rating: number; body: string };
  onSubmit: (value: { rating: number; body: string }) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const { t } = useTranslation();
  const form = useFormErrors();
  const id = useId();
  const [rating, setRating] = useState(initial?.rating ?? 0);
  const [body, setBody] = useState(initial?.body ?? '');

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (rating < 1) errors.rating = t('catalog.reviews.form.ratingRequired');
    if (!body.trim()) errors.body = t('catalog.reviews.form.bodyRequired');
    if (body.length > REVIEW_MAX) errors.body = t('catalog.reviews.form.bodyTooLong', { max: REVIEW_MAX });
    if (!form.validate(errors)) return;
    void form.submit(() => onSubmit({ rating, body }));
  }

  return (
    <ErrorTrackingForm
      form={form}
      onSubmit={handleSubmit}
      className="space-y-4 rounded-xl border border-slate-200 bg-white p-4"
    >
      <fieldset
        aria-invalid={form.fieldErrors.rating ? true : undefined}
        aria-describedby={form.fieldErrors.rating ? `${id}-rating-error` : undefined}
      >
        <legend className="text-sm font-medium text-slate-800">{t('catalog.reviews.form.rating')}</legend>
        <div className="mt-1 flex gap-1">
          {[1, 2, 3, 4, 5].map((value) => (
            <label key={value} className="cursor-pointer">
              <input
                type="radio"
                name={`${id}-rating`}
                value={value}
                checked={rating === value}
                onChange={() => setRating(value)}
                aria-invalid={form.fieldErrors.rating ? true : undefined}
                className={`peer sr-only`}
              />
              <span
                aria-hidden="true"
                className={`block rounded px-1 text-2xl peer-focus-visible:outline-2 peer-focus-visible:outline-indigo-600 ${value <= rating ? 'text-amber-500' : 'text-slate-300'} ${focusRing}`}
              >
                ★
              </span>
              <span className="sr-only">{t('catalog.reviews.form.stars', { count: value })}</span>
            </label>
          ))}
        </div>
        {form.fieldErrors.rating && (
          <p id={`${id}-rating-error`} className="mt-1 text-sm text-red-700">
            {form.fieldErrors.rating}
          </p>
        )}
      </fieldset>
      <TextAreaField
        label={t('catalog.reviews.form.body')}
        name="body"
        rows={5}
        maxLength={REVIEW_MAX}
        value={body}
        onChange={(event) => setBody(event.target.value)}
        error={form.fieldErrors.body}
        hint={t('catalog.reviews.form.remaining', { count: REVIEW_MAX - body.length })}
      />
      <div className="flex gap-3">
        <SubmitButton pending={form.pending}>
          {initial ? t('catalog.reviews.form.update') : t('catalog.reviews.form.submit')}
        </SubmitButton>
        {onCancel && (
          <button type="button" className={secondaryButton} onClick={onCancel}>
            {t('catalog.cancel')}
          </button>
        )}
      </div>
    </ErrorTrackingForm>
  );
}

/** A one-field form (report reason, instructor reply, takedown reason) with Send and Cancel. */
export function ReasonForm({
  label,
  submitLabel,
  initial = '',
  maxLength = 1000,
  onSubmit,
  onCancel,
}: {
  label: string;
  submitLabel: string;
  initial?: string;
  maxLength?: number;
  onSubmit: (text: string) => Promise<unknown>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const form = useFormErrors();
  const [text, setText] = useState(initial);
  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!form.validate(text.trim() ? {} : { text: t('catalog.fieldRequired') })) return;
    void form.submit(() => onSubmit(text.trim()));
  }
  return (
    <ErrorTrackingForm form={form} onSubmit={handleSubmit} className="w-full space-y-3">
      <TextAreaField
        label={label}
        name="text"
        rows={3}
        maxLength={maxLength}
        value={text}
        onChange={(event) => setText(event.target.value)}
        error={form.fieldErrors.text}
        autoFocus
      />
      <div className="flex gap-3">
        <SubmitButton pending={form.pending}>{submitLabel}</SubmitButton>
        <button type="button" className={secondaryButton} onClick={onCancel}>
          {t('catalog.cancel')}
        </button>
      </div>
    </ErrorTrackingForm>
  );
}
