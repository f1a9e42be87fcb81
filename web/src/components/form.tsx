import {
  useCallback,
  useEffect,
  useId,
  useState,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/apiError';
import { describeError, fieldErrorsFromDetails, type ErrorDescription } from '../auth/errorMessages';
import { PasswordHint } from './PasswordHint';

export const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';
export const inputClass =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-xs aria-invalid:border-red-600 focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-indigo-600';
export const primaryButton = `inline-flex items-center justify-center rounded-lg bg-indigo-700 px-4 py-2.5 text-sm font-bold text-white shadow-sm hover:bg-indigo-800 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`;
export const secondaryButton = `inline-flex items-center justify-center rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`;
export const dangerButton = `inline-flex items-center justify-center rounded-lg bg-red-700 px-4 py-2.5 text-sm font-bold text-white hover:bg-red-800 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`;
export const linkClass = `rounded-sm font-medium text-indigo-700 underline underline-offset-4 hover:text-indigo-900 ${focusRing}`;

export type FieldErrors = Record<string, string>;

/**
 * Error state of one form: per-field messages, one form-level message, and
 * focus moved to the first invalid field (or the message) after each failed submit.
 */
export function useFormErrors() {
  const { t } = useTranslation();
  // Ids rather than refs: the form and its alert are found in the document after a failure.
  const formId = useId();
  const alertId = `${formId}-alert`;
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ErrorDescription | null>(null);
  const [failures, setFailures] = useState(0);

  useEffect(() => {
    if (failures === 0) return;
    const invalid = document.getElementById(formId)?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (invalid ?? document.getElementById(alertId))?.focus();
  }, [failures, formId, alertId]);

  const clear = useCallback(() => {
    setFieldErrors({});
    setFormError(null);
  }, []);

  /** Client-side validation; returns whether the form may be sent. */
  const validate = useCallback((errors: FieldErrors): boolean => {
    setFieldErrors(errors);
    setFormError(null);
    if (Object.keys(errors).length === 0) return true;
    setFailures((count) => count + 1);
    return false;
  }, []);

  /** An API failure: validation details go to their fields, the code to the form message. */
  const fail = useCallback(
    (error: unknown, fieldForCode: Record<string, string> = {}) => {
      const description = describeError(error);
      const fields: FieldErrors = {};
      if (error instanceof ApiError) {
        if (error.code === 'validation_failed') {
          for (const name of Object.keys(fieldErrorsFromDetails(error.details)))
            fields[name] = t('errors.fieldInvalid');
        }
        const field = error.code ? fieldForCode[error.code] : undefined;
        if (field) fields[field] = t(description.key, description.values ?? {});
      }
      setFieldErrors(fields);
      setFormError(description);
      setFailures((count) => count + 1);
    },
    [t],
  );

  const [pending, setPending] = useState(false);

  /** Sends the form: `pending` is set while `action` runs, and a failure goes to `fail`. */
  const submit = useCallback(
    async (action: () => Promise<unknown>, fieldForCode?: Record<string, string>) => {
      setPending(true);
      try {
        await action();
      } catch (error) {
        fail(error, fieldForCode);
      } finally {
        setPending(false);
      }
    },
    [fail],
  );

  return { formId, alertId, fieldErrors, formError, pending, validate, fail, clear, submit };
}

export function FormAlert({
  error,
  id,
  children,
}: {
  error: ErrorDescription | null;
  id?: string;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div id={id} tabIndex={-1} role="alert" className="outline-none">
      {error && (
        <div className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          <p>{t(error.key, error.values ?? {})}</p>
          {children}
        </div>
      )}
    </div>
  );
}

/**
 * A form whose errors `form` (from useFormErrors) tracks: validated by the page rather than the
 * browser, with the form-level alert ahead of the fields. `intro` goes before the alert,
 * `alertActions` inside it.
 */
export function ErrorTrackingForm({
  form,
  onSubmit,
  className,
  intro,
  alertActions,
  children,
}: {
  form: Pick<ReturnType<typeof useFormErrors>, 'formId' | 'alertId' | 'formError'>;
  onSubmit: (event: FormEvent<HTMLFormElement>) => unknown;
  className?: string;
  intro?: ReactNode;
  alertActions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <form id={form.formId} noValidate onSubmit={onSubmit} className={className}>
      {intro}
      <FormAlert error={form.formError} id={form.alertId}>
        {alertActions}
      </FormAlert>
      {children}
    </form>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-800">
      {children}
    </p>
  );
}

interface FieldFrameProps {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  className?: string | undefined;
}

/** Accessibility attributes that tie a control to its label, hint and error message. */
interface ControlAttributes {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** Label, hint and error message around one control, which `children` renders with the attributes given. */
function FieldFrame({
  label,
  error,
  hint,
  className,
  children,
}: FieldFrameProps & { children: (control: ControlAttributes) => ReactNode }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <div id={hintId} className="mt-1 text-xs text-slate-500">
          {hint}
        </div>
      )}
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

interface FieldProps extends FieldFrameProps, Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'className'> {
  name: string;
}

export function TextField({ label, name, error, hint, className, ...input }: FieldProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(control) => <input {...control} name={name} className={inputClass} {...input} />}
    </FieldFrame>
  );
}

interface PasswordFieldProps extends Omit<FieldProps, 'type' | 'autoComplete' | 'hint' | 'value' | 'onChange'> {
  value: string;
  onValueChange: (value: string) => void;
  /** A new password is described by the length rule and a strength meter; otherwise it is the current one. */
  isNew?: boolean;
}

export function PasswordField({ value, onValueChange, isNew = false, ...field }: PasswordFieldProps) {
  return (
    <TextField
      type="password"
      autoComplete={isNew ? 'new-password' : 'current-password'}
      value={value}
      onChange={(event) => onValueChange(event.target.value)}
      hint={isNew ? <PasswordHint password={value} /> : undefined}
      {...field}
    />
  );
}

interface TextAreaProps extends FieldFrameProps, Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'className'> {
  name: string;
}

export function TextAreaField({ label, name, error, hint, className, ...textarea }: TextAreaProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(control) => <textarea {...control} name={name} className={inputClass} {...textarea} />}
    </FieldFrame>
  );
}

interface SelectProps extends FieldFrameProps, Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'className'> {
  /** The <option>s (or <optgroup>s). */
  children: ReactNode;
}

export function SelectField({ label, error, hint, className, children, ...select }: SelectProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint} className={className}>
      {(control) => (
        <select {...control} className={inputClass} {...select}>
          {children}
        </select>
      )}
    </FieldFrame>
  );
}

/** The submit button of a form, saying so while the form is being sent. */
export function SubmitButton({
  pending,
  className = primaryButton,
  children,
}: {
  pending: boolean;
  className?: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <button type="submit" disabled={pending} className={className}>
      {pending ? t('auth.pending') : children}
    </button>
  );
}

interface CheckboxProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'> {
  label: ReactNode;
  name: string;
  error?: string | undefined;
}

export function CheckboxField({ label, name, error, ...input }: CheckboxProps) {
  const id = useId();
  return (
    <div>
      <div className="flex items-start gap-2">
        <input
          id={id}
          name={name}
          type="checkbox"
          className={`mt-1 size-4 rounded border-slate-300 accent-indigo-700 ${focusRing}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          {...input}
        />
        <label htmlFor={id} className="text-sm text-slate-800">
          {label}
        </label>
      </div>
      {error && (
        <p id={`${id}-error`} className="mt-1 ml-6 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

export function PageCard({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  return (
    <section className={`mx-auto px-4 py-12 sm:px-6 ${wide ? 'max-w-5xl' : 'max-w-md'}`}>
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
      <div className="mt-6">{children}</div>
    </section>
  );
}
