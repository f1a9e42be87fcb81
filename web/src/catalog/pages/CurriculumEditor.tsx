import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { describeError } from '../../auth/errorMessages';
import {
  FormAlert,
  SelectField,
  TextAreaField,
  TextField,
  focusRing,
  primaryButton,
  secondaryButton,
} from '../../components/form';
import { LessonVideoPanel } from '../../videos/LessonVideoPanel';
import {
  addLesson,
  addSection,
  catalogKeys,
  deleteAttachment,
  deleteLesson,
  deleteSection,
  renameSection,
  saveCurriculum,
  updateLesson,
  uploadAttachment,
} from '../api';
import { UploadProgress } from '../components/UploadProgress';
import { applyOrder, canMoveLesson, curriculumOrder, moveLesson, moveSection, sameOrder } from '../curriculum';
import { formatBytes } from '../format';
import {
  LESSON_TYPES,
  type CurriculumOrder,
  type LessonType,
  type StudioCourse,
  type StudioLesson,
  type StudioSection,
  TITLE_MAX,
} from '../types';

const smallButton = `inline-flex items-center rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50 ${focusRing}`;
const smallDanger = `inline-flex items-center rounded-md border border-red-300 bg-white px-2.5 py-1 text-xs font-medium text-red-800 hover:bg-red-50 disabled:opacity-50 ${focusRing}`;

/**
 * Sections and lessons of a course. Adding, renaming and deleting are saved at once; moves are
 * made locally with Move up / Move down and saved together with one PUT of the whole order.
 */
export function CurriculumEditor({ course }: { course: StudioCourse }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [order, setOrder] = useState<CurriculumOrder | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const focusTarget = useRef<string | null>(null);
  const sections = applyOrder<StudioLesson, StudioSection>(course.sections, order);
  const dirty = order !== null && !sameOrder(curriculumOrder(sections), curriculumOrder(course.sections));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: catalogKeys.studioCourse(course.id) }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
    ]);
  const save = useMutation({
    mutationFn: () => saveCurriculum(course.id, curriculumOrder(sections)),
    onSuccess: async () => {
      await refresh();
      setOrder(null);
      setAnnouncement(t('catalog.studio.curriculum.orderSaved'));
    },
  });
  const change = useMutation({
    mutationFn: (action: () => Promise<unknown>) => action(),
    onSettled: refresh,
  });

  // A moved item's buttons move in the DOM; focus follows so keyboard users can keep moving it.
  useEffect(() => {
    if (!focusTarget.current) return;
    const [itemId, direction] = focusTarget.current.split('|');
    focusTarget.current = null;
    const scope = document.querySelector(`[data-move-id="${CSS.escape(itemId ?? '')}"]`);
    const button =
      scope?.querySelector<HTMLButtonElement>(`button[data-move="${direction}"]:not(:disabled)`) ??
      scope?.querySelector<HTMLButtonElement>('button[data-move]:not(:disabled)');
    button?.focus();
  });

  function moveSectionBy(index: number, delta: -1 | 1) {
    const section = sections[index];
    if (!section) return;
    const next = moveSection(sections, index, delta);
    setOrder(curriculumOrder(next));
    setAnnouncement(t('catalog.studio.curriculum.sectionMoved', { title: section.title, position: index + delta + 1 }));
    focusTarget.current = `${section.id}|${delta < 0 ? 'up' : 'down'}`;
  }

  function moveLessonBy(lesson: StudioLesson, delta: -1 | 1) {
    const next = moveLesson<StudioLesson, StudioSection>(sections, lesson.id, delta);
    setOrder(curriculumOrder(next));
    const section = next.find((candidate) => candidate.lessons.some((item) => item.id === lesson.id));
    const position = (section?.lessons.findIndex((item) => item.id === lesson.id) ?? 0) + 1;
    setAnnouncement(
      t('catalog.studio.curriculum.lessonMoved', { title: lesson.title, position, section: section?.title ?? '' }),
    );
    focusTarget.current = `${lesson.id}|${delta < 0 ? 'up' : 'down'}`;
  }

  const busy = change.isPending || save.isPending;
  return (
    <section aria-labelledby="curriculum-heading" className="mt-8 rounded-xl border border-slate-200 bg-white p-5">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="curriculum-heading" className="text-lg font-bold text-slate-900">
          {t('catalog.studio.curriculum.title')}
        </h2>
        <div className="flex items-center gap-2">
          {dirty && <span className="text-sm text-amber-800">{t('catalog.studio.curriculum.unsaved')}</span>}
          <button type="button" className={secondaryButton} disabled={!dirty || busy} onClick={() => setOrder(null)}>
            {t('catalog.studio.curriculum.resetOrder')}
          </button>
          <button type="button" className={primaryButton} disabled={!dirty || busy} onClick={() => save.mutate()}>
            {t('catalog.studio.curriculum.saveOrder')}
          </button>
        </div>
      </div>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      <FormAlert error={save.error ? describeError(save.error) : change.error ? describeError(change.error) : null} />

      {sections.length === 0 && <p className="mt-4 text-sm text-slate-600">{t('catalog.studio.curriculum.empty')}</p>}
      <ol className="mt-4 space-y-4">
        {sections.map((section, index) => (
          <SectionEditor
            key={section.id}
            section={section}
            index={index}
            count={sections.length}
            sections={sections}
            busy={busy}
            orderDirty={dirty}
            onMoveSection={moveSectionBy}
            onMoveLesson={moveLessonBy}
            run={(action) => change.mutateAsync(action)}
          />
        ))}
      </ol>
      <AddForm
        label={t('catalog.studio.curriculum.newSection')}
        submitLabel={t('catalog.studio.curriculum.addSection')}
        disabled={busy || dirty}
        onAdd={(title) => change.mutateAsync(() => addSection(course.id, title))}
      />
      {dirty && <p className="mt-2 text-xs text-slate-500">{t('catalog.studio.curriculum.saveFirst')}</p>}
    </section>
  );
}

function SectionEditor({
  section,
  index,
  count,
  sections,
  busy,
  orderDirty,
  onMoveSection,
  onMoveLesson,
  run,
}: {
  section: StudioSection;
  index: number;
  count: number;
  sections: StudioSection[];
  busy: boolean;
  orderDirty: boolean;
  onMoveSection: (index: number, delta: -1 | 1) => void;
  onMoveLesson: (lesson: StudioLesson, delta: -1 | 1) => void;
  run: (action: () => Promise<unknown>) => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [renaming, setRenaming] = useState(false);
  const headingId = useId();
  return (
    <li className="rounded-lg border border-slate-200 bg-slate-50 p-4" aria-labelledby={headingId}>
      <div className="flex flex-wrap items-center gap-2" data-move-id={section.id}>
        <h3 id={headingId} className="flex-1 font-bold text-slate-900">
          <span className="sr-only">{t('catalog.studio.curriculum.sectionNumber', { number: index + 1 })}: </span>
          {section.title}
        </h3>
        <MoveButtons
          upLabel={t('catalog.studio.curriculum.moveSectionUp', { title: section.title })}
          downLabel={t('catalog.studio.curriculum.moveSectionDown', { title: section.title })}
          upDisabled={busy || index === 0}
          downDisabled={busy || index === count - 1}
          onMove={(delta) => onMoveSection(index, delta)}
        />
        <RenameButton title={section.title} disabled={busy} onClick={() => setRenaming((value) => !value)} />
        <DeleteButton
          title={section.title}
          confirmation={t('catalog.studio.curriculum.confirmDeleteSection', { title: section.title })}
          disabled={busy || orderDirty}
          onDelete={() => void run(() => deleteSection(section.id))}
        />
      </div>
      {renaming && (
        <RenameForm
          label={t('catalog.studio.curriculum.sectionTitle')}
          initial={section.title}
          onCancel={() => setRenaming(false)}
          onSave={async (title) => {
            await run(() => renameSection(section.id, title));
            setRenaming(false);
          }}
        />
      )}
      <ol className="mt-3 space-y-2">
        {section.lessons.map((lesson) => (
          <LessonEditor
            key={lesson.id}
            lesson={lesson}
            sections={sections}
            busy={busy}
            orderDirty={orderDirty}
            onMove={onMoveLesson}
            run={run}
          />
        ))}
      </ol>
      <AddLessonForm
        disabled={busy || orderDirty}
        onAdd={(title, type) => run(() => addLesson(section.id, { title, type }))}
        sectionTitle={section.title}
      />
    </li>
  );
}

function LessonEditor({
  lesson,
  sections,
  busy,
  orderDirty,
  onMove,
  run,
}: {
  lesson: StudioLesson;
  sections: StudioSection[];
  busy: boolean;
  orderDirty: boolean;
  onMove: (lesson: StudioLesson, delta: -1 | 1) => void;
  run: (action: () => Promise<unknown>) => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [panel, setPanel] = useState<'none' | 'rename' | 'body' | 'files'>('none');
  const freeId = useId();
  const toggle = (next: typeof panel) => setPanel((current) => (current === next ? 'none' : next));
  return (
    <li className="rounded-md border border-slate-200 bg-white p-3">
      <div className="flex flex-wrap items-center gap-2" data-move-id={lesson.id}>
        <span className="w-20 text-xs text-slate-500">{t(`catalog.lessonType.${lesson.type}`)}</span>
        <span className="min-w-40 flex-1 text-sm font-medium text-slate-900">{lesson.title}</span>
        <span className="flex items-center gap-1 text-xs">
          <input
            id={freeId}
            type="checkbox"
            checked={lesson.isFreePreview}
            disabled={busy || orderDirty}
            onChange={(event) => void run(() => updateLesson(lesson.id, { isFreePreview: event.target.checked }))}
            className={`size-4 accent-indigo-700 ${focusRing}`}
          />
          <label htmlFor={freeId}>
            {t('catalog.course.freePreview')}
            <span className="sr-only"> — {lesson.title}</span>
          </label>
        </span>
        <MoveButtons
          upLabel={t('catalog.studio.curriculum.moveLessonUp', { title: lesson.title })}
          downLabel={t('catalog.studio.curriculum.moveLessonDown', { title: lesson.title })}
          upDisabled={busy || !canMoveLesson(sections, lesson.id, -1)}
          downDisabled={busy || !canMoveLesson(sections, lesson.id, 1)}
          onMove={(delta) => onMove(lesson, delta)}
        />
        <RenameButton title={lesson.title} expanded={panel === 'rename'} onClick={() => toggle('rename')} />
        {lesson.type === 'text' && (
          <button
            type="button"
            className={smallButton}
            aria-expanded={panel === 'body'}
            aria-label={t('catalog.studio.curriculum.editBodyNamed', { title: lesson.title })}
            onClick={() => toggle('body')}
          >
            {t('catalog.studio.curriculum.editBody')}
          </button>
        )}
        <button
          type="button"
          className={smallButton}
          aria-expanded={panel === 'files'}
          aria-label={t('catalog.studio.curriculum.filesNamed', {
            title: lesson.title,
            count: lesson.attachments.length,
          })}
          onClick={() => toggle('files')}
        >
          {t('catalog.studio.curriculum.files', { count: lesson.attachments.length })}
        </button>
        <DeleteButton
          title={lesson.title}
          confirmation={t('catalog.studio.curriculum.confirmDeleteLesson', { title: lesson.title })}
          disabled={busy || orderDirty}
          onDelete={() => void run(() => deleteLesson(lesson.id))}
        />
      </div>
      {panel === 'rename' && (
        <RenameForm
          label={t('catalog.studio.curriculum.lessonTitle')}
          initial={lesson.title}
          onCancel={() => setPanel('none')}
          onSave={async (title) => {
            await run(() => updateLesson(lesson.id, { title }));
            setPanel('none');
          }}
        />
      )}
      {panel === 'body' && <LessonBodyForm lesson={lesson} onClose={() => setPanel('none')} run={run} />}
      {panel === 'files' && <Attachments lesson={lesson} run={run} />}
      {lesson.type === 'video' && <LessonVideoPanel lesson={lesson} />}
    </li>
  );
}

/**
 * Move up / Move down for one section or lesson. `data-move` lets focus follow the item after it
 * moves (see the effect in CurriculumEditor).
 */
function MoveButtons({
  upLabel,
  downLabel,
  upDisabled,
  downDisabled,
  onMove,
}: {
  upLabel: string;
  downLabel: string;
  upDisabled: boolean;
  downDisabled: boolean;
  onMove: (delta: -1 | 1) => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <button
        type="button"
        data-move="up"
        className={smallButton}
        disabled={upDisabled}
        aria-label={upLabel}
        onClick={() => onMove(-1)}
      >
        {t('catalog.studio.curriculum.moveUp')}
      </button>
      <button
        type="button"
        data-move="down"
        className={smallButton}
        disabled={downDisabled}
        aria-label={downLabel}
        onClick={() => onMove(1)}
      >
        {t('catalog.studio.curriculum.moveDown')}
      </button>
    </>
  );
}

/** Opens or closes the rename form of the item called `title`. */
function RenameButton({
  title,
  expanded,
  disabled,
  onClick,
}: {
  title: string;
  expanded?: boolean;
  disabled?: boolean;
  onClick: () => void;
}) {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      className={smallButton}
      disabled={disabled}
      aria-expanded={expanded}
      aria-label={t('catalog.studio.curriculum.renameNamed', { title })}
      onClick={onClick}
    >
      {t('catalog.studio.curriculum.rename')}
    </button>
  );
}

/** Deletes the item called `title`, after the browser's confirm when `confirmation` is given. */
function DeleteButton({
  title,
  confirmation,
  disabled,
  onDelete,
}: {
  title: string;
  confirmation?: string;
  disabled?: boolean;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      className={smallDanger}
      disabled={disabled}
      aria-label={t('catalog.studio.curriculum.deleteNamed', { title })}
      onClick={() => {
        if (confirmation === undefined || window.confirm(confirmation)) onDelete();
      }}
    >
      {t('catalog.studio.curriculum.delete')}
    </button>
  );
}

/** A required title being typed: `take()` gives it trimmed, or shows "required" and gives undefined. */
function useTitleInput(initial = '') {
  const { t } = useTranslation();
  const [value, set] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  function take(): string | undefined {
    if (!value.trim()) {
      setError(t('catalog.fieldRequired'));
      return undefined;
    }
    setError(undefined);
    return value.trim();
  }
  return { value, set, error, take };
}

function TitleField({
  label,
  input,
  autoFocus,
  className,
}: {
  label: string;
  input: ReturnType<typeof useTitleInput>;
  autoFocus?: boolean;
  className: string;
}) {
  return (
    <TextField
      label={label}
      name="title"
      value={input.value}
      maxLength={TITLE_MAX}
      autoFocus={autoFocus}
      onChange={(event) => input.set(event.target.value)}
      error={input.error}
      className={className}
    />
  );
}

function RenameForm({
  label,
  initial,
  onSave,
  onCancel,
}: {
  label: string;
  initial: string;
  onSave: (title: string) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const title = useTitleInput(initial);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = title.take();
    if (value !== undefined) void onSave(value).catch(() => undefined);
  }
  return (
    <form onSubmit={onSubmit} noValidate className="mt-3 flex flex-wrap items-end gap-2">
      <TitleField label={label} input={title} autoFocus className="min-w-56 flex-1" />
      <button type="submit" className={primaryButton}>
        {t('catalog.studio.save')}
      </button>
      <button type="button" className={secondaryButton} onClick={onCancel}>
        {t('catalog.cancel')}
      </button>
    </form>
  );
}

function LessonBodyForm({
  lesson,
  onClose,
  run,
}: {
  lesson: StudioLesson;
  onClose: () => void;
  run: (action: () => Promise<unknown>) => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [body, setBody] = useState(lesson.body);
  const [minutes, setMinutes] = useState(String(Math.round(lesson.durationSeconds / 60)));
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const durationSeconds = Math.max(0, Math.round(Number(minutes) || 0) * 60);
    void run(() => updateLesson(lesson.id, { body, durationSeconds }))
      .then(onClose)
      .catch(() => undefined);
  }
  return (
    <form onSubmit={onSubmit} noValidate className="mt-3 space-y-3">
      <TextAreaField
        label={t('catalog.studio.curriculum.body')}
        name="body"
        rows={8}
        value={body}
        onChange={(event) => setBody(event.target.value)}
        hint={t('catalog.studio.markdownHint')}
      />
      <TextField
        label={t('catalog.studio.curriculum.minutes')}
        name="minutes"
        type="number"
        min={0}
        value={minutes}
        onChange={(event) => setMinutes(event.target.value)}
        className="max-w-40"
      />
      <div className="flex gap-2">
        <button type="submit" className={primaryButton}>
          {t('catalog.studio.save')}
        </button>
        <button type="button" className={secondaryButton} onClick={onClose}>
          {t('catalog.cancel')}
        </button>
      </div>
    </form>
  );
}

const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;

function Attachments({
  lesson,
  run,
}: {
  lesson: StudioLesson;
  run: (action: () => Promise<unknown>) => Promise<unknown>;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (file: File) => run(() => uploadAttachment(lesson.id, file, setProgress)),
    onSettled: () => setProgress(null),
  });
  function choose(file: File | undefined) {
    upload.reset();
    if (!file) return;
    if (file.size > ATTACHMENT_MAX_BYTES) return setError(t('catalog.studio.attachmentTooLarge'));
    setError(null);
    upload.mutate(file);
  }
  return (
    <div className="mt-3 space-y-2">
      {lesson.attachments.length === 0 ? (
        <p className="text-sm text-slate-600">{t('catalog.studio.noAttachments')}</p>
      ) : (
        <ul className="space-y-1">
          {lesson.attachments.map((attachment) => (
            <li key={attachment.id} className="flex items-center gap-3 text-sm">
              <span className="flex-1">{attachment.fileName}</span>
              <span className="text-xs text-slate-500">{formatBytes(attachment.sizeBytes, i18n.language)}</span>
              <DeleteButton
                title={attachment.fileName}
                onDelete={() => void run(() => deleteAttachment(attachment.id)).catch(() => undefined)}
              />
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={`${id}-file`} className="block text-sm font-medium text-slate-800">
        {t('catalog.studio.addAttachment', { title: lesson.title })}
      </label>
      <input
        id={`${id}-file`}
        type="file"
        disabled={upload.isPending}
        onChange={(event) => {
          choose(event.target.files?.[0]);
          event.target.value = '';
        }}
        className={`block w-full text-sm ${focusRing}`}
      />
      <UploadProgress fraction={progress} label={t('catalog.studio.attachmentProgress')} />
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <p aria-live="polite" className="text-sm text-emerald-800">
        {upload.isSuccess ? t('catalog.studio.attachmentUploaded') : ''}
      </p>
      <FormAlert error={upload.isError ? describeError(upload.error) : null} />
    </div>
  );
}

function AddForm({
  label,
  submitLabel,
  disabled,
  onAdd,
}: {
  label: string;
  submitLabel: string;
  disabled: boolean;
  onAdd: (title: string) => Promise<unknown>;
}) {
  const title = useTitleInput();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = title.take();
    if (value === undefined) return;
    void onAdd(value)
      .then(() => title.set(''))
      .catch(() => undefined);
  }
  return (
    <form onSubmit={onSubmit} noValidate className="mt-4 flex flex-wrap items-end gap-2">
      <TitleField label={label} input={title} className="min-w-56 flex-1" />
      <button type="submit" className={secondaryButton} disabled={disabled}>
        {submitLabel}
      </button>
    </form>
  );
}

function AddLessonForm({
  sectionTitle,
  disabled,
  onAdd,
}: {
  sectionTitle: string;
  disabled: boolean;
  onAdd: (title: string, type: LessonType) => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const title = useTitleInput();
  const [type, setType] = useState<LessonType>('text');
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = title.take();
    if (value === undefined) return;
    void onAdd(value, type)
      .then(() => title.set(''))
      .catch(() => undefined);
  }
  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={t('catalog.studio.curriculum.addLessonTo', { title: sectionTitle })}
      className="mt-3 flex flex-wrap items-end gap-2"
    >
      <TitleField label={t('catalog.studio.curriculum.newLesson')} input={title} className="min-w-48 flex-1" />
      <SelectField
        label={t('catalog.studio.curriculum.lessonType')}
        value={type}
        onChange={(event) => setType(event.target.value as LessonType)}
      >
        {LESSON_TYPES.map((value) => (
          <option key={value} value={value}>
            {t(`catalog.lessonType.${value}`)}
          </option>
        ))}
      </SelectField>
      <button type="submit" className={secondaryButton} disabled={disabled}>
        {t('catalog.studio.curriculum.addLesson')}
      </button>
    </form>
  );
}
