import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/apiError';
import { describeError } from '../../auth/errorMessages';
import { QueryState } from '../../catalog/components/AsyncState';
import {
  Notice,
  SelectField,
  TextField,
  dangerButton,
  inputClass,
  primaryButton,
  secondaryButton,
} from '../../components/form';
import { captionKeys, deleteCaption, fetchCaptions, uploadCaption, type StudioCaption } from './api';
import {
  CAPTION_LANGUAGES,
  CAPTION_MAX_BYTES,
  captionFormatOf,
  languageOptionLabel,
  nativeLanguageName,
} from './languages';

/** The API's limit for the player's menu label. */
const LABEL_MAX = 60;

/** The captions of one video: what viewers can pick in the player, and uploads that add or replace them. */
export function CaptionsPanel({ videoId }: { videoId: string }) {
  const { t } = useTranslation();
  const captions = useQuery({
    queryKey: captionKeys.captions(videoId),
    queryFn: ({ signal }) => fetchCaptions(videoId, signal),
  });
  const [replacing, setReplacing] = useState<StudioCaption | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // A new key after each upload gives a fresh form (next free language, empty file field).
  const [uploads, setUploads] = useState(0);
  return (
    <section aria-labelledby="video-captions" className="mt-8">
      <h2 id="video-captions" className="text-lg font-bold text-slate-900">
        {t('captions.heading')}
      </h2>
      <p className="mt-1 text-sm text-slate-600">{t('captions.intro')}</p>
      <QueryState query={captions}>
        {(items) => (
          <>
            <CaptionList videoId={videoId} captions={items} onReplace={setReplacing} />
            <CaptionUploadForm
              key={`${replacing?.id ?? 'new'}-${uploads}`}
              videoId={videoId}
              captions={items}
              replacing={replacing}
              onStart={() => setSaved(null)}
              onSaved={(label) => {
                setSaved(label);
                setReplacing(null);
                setUploads((count) => count + 1);
              }}
              onCancel={() => setReplacing(null)}
            />
            <div aria-live="polite" className="mt-3">
              {saved && <Notice>{t('captions.saved', { label: saved })}</Notice>}
            </div>
          </>
        )}
      </QueryState>
    </section>
  );
}

function CaptionList({
  videoId,
  captions,
  onReplace,
}: {
  videoId: string;
  captions: StudioCaption[];
  onReplace: (caption: StudioCaption) => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [deleted, setDeleted] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (caption: StudioCaption) => deleteCaption(videoId, caption.id),
    onSuccess: (_answer, caption) => setDeleted(caption.label),
    onSettled: () => queryClient.invalidateQueries({ queryKey: captionKeys.captions(videoId) }),
  });
  if (captions.length === 0) {
    return (
      <>
        <p className="mt-3 text-sm text-slate-600">{t('captions.none')}</p>
        <div aria-live="polite">{deleted && <Notice>{t('captions.deleted', { label: deleted })}</Notice>}</div>
      </>
    );
  }
  return (
    <>
      <ul
        aria-label={t('captions.listLabel')}
        className="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200"
      >
        {captions.map((caption) => (
          <li key={caption.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
            <div className="min-w-0 flex-1">
              <p className="font-medium text-slate-900">{caption.label}</p>
              <p className="text-xs text-slate-500">
                {languageOptionLabel(caption.language, i18n.language)}
                {` · ${t('captions.cues', { count: caption.cueCount })}`}
              </p>
            </div>
            <button
              type="button"
              className={secondaryButton}
              aria-label={t('captions.replaceNamed', { label: caption.label })}
              onClick={() => onReplace(caption)}
            >
              {t('captions.replace')}
            </button>
            <button
              type="button"
              className={dangerButton}
              disabled={remove.isPending}
              aria-label={t('captions.deleteNamed', { label: caption.label })}
              onClick={() => {
                if (window.confirm(t('captions.confirmDelete', { label: caption.label }))) remove.mutate(caption);
              }}
            >
              {t('captions.delete')}
            </button>
          </li>
        ))}
      </ul>
      <div aria-live="polite" className="mt-2">
        {deleted && !remove.isError && <Notice>{t('captions.deleted', { label: deleted })}</Notice>}
      </div>
      <div role="alert">
        {remove.isError && (
          <p className="mt-2 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
            {captionErrorMessage(t, remove.error)}
          </p>
        )}
      </div>
    </>
  );
}

function CaptionUploadForm({
  videoId,
  captions,
  replacing,
  onStart,
  onSaved,
  onCancel,
}: {
  videoId: string;
  captions: StudioCaption[];
  replacing: StudioCaption | null;
  onStart: () => void;
  onSaved: (label: string) => void;
  onCancel: () => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const fileId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const firstFree = CAPTION_LANGUAGES.find((tag) => !captions.some((caption) => caption.language === tag)) ?? 'ko';
  const [language, setLanguage] = useState<string>(replacing?.language ?? firstFree);
  const [label, setLabel] = useState(replacing?.label ?? nativeLanguageName(firstFree));
  // Until the instructor types a label, it follows the language picked.
  const [labelEdited, setLabelEdited] = useState(replacing !== null);
  const [problem, setProblem] = useState<string | null>(null);
  const existing = captions.find((caption) => caption.language === language);
  // A language not in the list (uploaded through the API) stays selectable.
  const languages = CAPTION_LANGUAGES.includes(language as (typeof CAPTION_LANGUAGES)[number])
    ? CAPTION_LANGUAGES
    : [language, ...CAPTION_LANGUAGES];

  const upload = useMutation({
    mutationFn: async (file: File) =>
      uploadCaption(videoId, { language, label: label.trim(), content: await file.text() }),
    onSuccess: async (caption) => {
      // The list first, so the fresh form offers the next language still without captions.
      await queryClient.invalidateQueries({ queryKey: captionKeys.captions(videoId) });
      onSaved(caption.label || label.trim());
    },
    onError: (error) => setProblem(captionErrorMessage(t, error)),
  });

  // Moving to the form when Replace was pressed in the list.
  const focusOnMount = (element: HTMLInputElement | null) => {
    fileRef.current = element;
    if (element && replacing) element.focus();
  };

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onStart();
    const file = fileRef.current?.files?.[0];
    if (!file) return setProblem(t('captions.errors.noFile'));
    if (!captionFormatOf(file.name)) return setProblem(t('captions.errors.format'));
    if (file.size > CAPTION_MAX_BYTES) return setProblem(t('captions.errors.tooLarge'));
    if (!label.trim()) return setProblem(t('captions.errors.noLabel'));
    if (existing && !window.confirm(t('captions.confirmReplace', { label: existing.label }))) return;
    setProblem(null);
    upload.mutate(file);
  }

  return (
    <form noValidate onSubmit={handleSubmit} className="mt-5 rounded-lg border border-slate-200 bg-white p-4">
      <h3 className="font-bold text-slate-900">
        {replacing ? t('captions.replaceHeading', { label: replacing.label }) : t('captions.addHeading')}
      </h3>
      <div className="mt-3 grid gap-4 sm:grid-cols-2">
        <SelectField
          label={t('captions.language')}
          value={language}
          onChange={(event) => {
            setLanguage(event.target.value);
            if (!labelEdited) setLabel(nativeLanguageName(event.target.value));
          }}
        >
          {languages.map((tag) => (
            <option key={tag} value={tag}>
              {languageOptionLabel(tag, i18n.language)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('captions.label')}
          name="label"
          value={label}
          maxLength={LABEL_MAX}
          hint={t('captions.labelHint')}
          onChange={(event) => {
            setLabel(event.target.value);
            setLabelEdited(true);
          }}
        />
      </div>
      <div className="mt-4">
        <label htmlFor={fileId} className="block text-sm font-medium text-slate-800">
          {t('captions.file')}
        </label>
        <input
          ref={focusOnMount}
          id={fileId}
          type="file"
          accept=".vtt,.srt,text/vtt"
          aria-describedby={`${fileId}-hint`}
          className={inputClass}
          onChange={() => setProblem(null)}
        />
        <p id={`${fileId}-hint`} className="mt-1 text-xs text-slate-500">
          {t('captions.fileHint')}
        </p>
      </div>
      {existing && (
        <p className="mt-3 text-sm text-amber-800">{t('captions.willReplace', { label: existing.label })}</p>
      )}
      <div role="alert" className="mt-3">
        {problem && <p className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">{problem}</p>}
      </div>
      <div className="mt-4 flex flex-wrap gap-3">
        <button type="submit" className={primaryButton} disabled={upload.isPending}>
          {upload.isPending ? t('captions.uploading') : existing ? t('captions.submitReplace') : t('captions.submit')}
        </button>
        {replacing && (
          <button type="button" className={secondaryButton} onClick={onCancel}>
            {t('captions.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

const CAPTION_PROBLEMS = [
  'empty',
  'too_large',
  'unknown_format',
  'unreadable_block',
  'no_cues',
  'too_many_cues',
  'cue_order',
  'cue_beyond_video',
  'bad_language',
] as const;
type CaptionProblem = (typeof CAPTION_PROBLEMS)[number];

interface CaptionInvalidDetails {
  reason?: unknown;
  block?: unknown;
  cue?: unknown;
  start?: unknown;
  end?: unknown;
  maxCues?: unknown;
}

/** The server's reason for refusing a file (422 caption_invalid), or the general message for any other failure. */
function captionErrorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'caption_invalid') {
      const reason = reasonMessage(t, error.details);
      return reason ? t('captions.errors.invalidWithReason', { reason }) : t('captions.errors.invalid');
    }
    if (error.status === 413) return t('captions.errors.tooLarge');
    if (error.code === 'caption_not_found') return t('captions.errors.notFound');
  }
  const description = describeError(error);
  return t(description.key, description.values ?? {});
}

function reasonMessage(t: TFunction, details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const { reason, block, cue, start, end, maxCues } = details as CaptionInvalidDetails;
  const problem = CAPTION_PROBLEMS.find((known) => known === reason) as CaptionProblem | undefined;
  if (!problem) return undefined;
  const text = (value: unknown) => (typeof value === 'number' || typeof value === 'string' ? String(value) : '?');
  return t(`captions.reasons.${problem}`, {
    block: text(block),
    cue: text(cue),
    start: text(start),
    end: text(end),
    maxCues: text(maxCues),
  });
}
