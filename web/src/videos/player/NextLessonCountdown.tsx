import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { primaryButton, secondaryButton } from '../../components/form';

const COUNTDOWN_SECONDS = 5;

/** Over an ended video: "Next: <title>" counting down from 5 s, with cancel and play-now. */
export function NextLessonCountdown({
  title,
  onGo,
  onCancel,
}: {
  title: string;
  onGo: () => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [left, setLeft] = useState(COUNTDOWN_SECONDS);
  const go = useRef(onGo);
  useLayoutEffect(() => {
    go.current = onGo;
  });
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancel.current?.focus();
    const timer = window.setInterval(() => setLeft((value) => value - 1), 1000);
    return () => window.clearInterval(timer);
  }, []);
  useEffect(() => {
    if (left <= 0) go.current();
  }, [left]);

  return (
    <div
      role="dialog"
      aria-labelledby="next-lesson-title"
      className="absolute inset-x-0 top-6 bottom-0 flex items-center justify-center rounded-lg bg-black/80 p-4"
    >
      <div className="max-w-sm text-center text-white">
        <p id="next-lesson-title" className="text-lg font-bold break-words">
          {t('player.next', { title })}
        </p>
        <p className="mt-1 text-sm text-slate-200" aria-live="polite">
          {t('player.nextIn', { seconds: Math.max(0, left) })}
        </p>
        <div className="mt-4 flex flex-wrap justify-center gap-2">
          <button type="button" className={primaryButton} onClick={onGo}>
            {t('player.playNow')}
          </button>
          <button ref={cancel} type="button" className={secondaryButton} onClick={onCancel}>
            {t('player.cancel')}
          </button>
        </div>
      </div>
    </div>
  );
}
