import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CatalogRows } from '../catalog/components/CourseRows';
import { PlatformStatus } from '../components/PlatformStatus';

export function HomePage() {
  const { t } = useTranslation();

  return (
    <>
      <section className="bg-linear-to-b from-indigo-50 to-slate-50">
        <div className="mx-auto max-w-6xl px-4 py-20 sm:px-6 sm:py-28">
          <p className="text-sm font-bold tracking-wide text-indigo-700">{t('home.hero.eyebrow')}</p>
          <h1 className="mt-3 max-w-3xl text-4xl font-bold tracking-tight text-slate-900 sm:text-6xl">
            {t('home.hero.title')}
          </h1>
          <p className="mt-6 max-w-2xl text-lg leading-8 text-slate-600">{t('home.hero.subtitle')}</p>
          <a
            href="#features"
            className="mt-10 inline-flex rounded-lg bg-indigo-700 px-5 py-3 text-sm font-bold text-white shadow-sm hover:bg-indigo-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            {t('home.hero.cta')}
          </a>
        </div>
      </section>

      <CatalogRows />

      <section
        id="features"
        aria-labelledby="features-heading"
        className="mx-auto max-w-6xl scroll-mt-8 px-4 py-16 sm:px-6"
      >
        <h2 id="features-heading" className="text-2xl font-bold tracking-tight text-slate-900">
          {t('home.features.title')}
        </h2>
        <ul className="mt-8 grid gap-6 sm:grid-cols-3">
          <Feature icon={<InstructorIcon />} title={t('home.features.instructors.title')}>
            {t('home.features.instructors.body')}
          </Feature>
          <Feature icon={<PlayIcon />} title={t('home.features.video.title')}>
            {t('home.features.video.body')}
          </Feature>
          <Feature icon={<BookmarkIcon />} title={t('home.features.progress.title')}>
            {t('home.features.progress.body')}
          </Feature>
        </ul>
      </section>

      <div className="mx-auto max-w-6xl px-4 pb-20 sm:px-6">
        <div className="max-w-2xl">
          <PlatformStatus />
        </div>
      </div>
    </>
  );
}

function Feature({ icon, title, children }: { icon: ReactNode; title: string; children: ReactNode }) {
  return (
    <li className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
      <div className="flex size-10 items-center justify-center rounded-lg bg-indigo-50 text-indigo-700">{icon}</div>
      <h3 className="mt-4 font-bold text-slate-900">{title}</h3>
      <p className="mt-2 text-sm leading-6 text-slate-600">{children}</p>
    </li>
  );
}

function FeatureIcon({ children }: { children: ReactNode }) {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-6"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.75"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

function InstructorIcon() {
  return (
    <FeatureIcon>
      <circle cx="12" cy="7" r="3.5" />
      <path d="M5 20c.8-3.6 3.6-6 7-6s6.2 2.4 7 6" />
    </FeatureIcon>
  );
}

function PlayIcon() {
  return (
    <FeatureIcon>
      <rect x="3" y="5" width="18" height="14" rx="2.5" />
      <path d="m10 9 5 3-5 3V9Z" />
    </FeatureIcon>
  );
}

function BookmarkIcon() {
  return (
    <FeatureIcon>
      <path d="M7 3.5h10a1 1 0 0 1 1 1V21l-6-4-6 4V4.5a1 1 0 0 1 1-1Z" />
    </FeatureIcon>
  );
}
