import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { primaryButton } from '../components/form';

export function ForbiddenPage() {
  const { t } = useTranslation();
  return (
    <section className="mx-auto flex max-w-xl flex-col items-center px-4 py-24 text-center">
      <p className="text-sm font-bold text-indigo-700">403</p>
      <h1 className="mt-3 text-3xl font-bold tracking-tight text-slate-900">{t('forbidden.title')}</h1>
      <p className="mt-4 text-slate-600">{t('forbidden.message')}</p>
      <Link to="/" className={`mt-8 ${primaryButton}`}>
        {t('notFound.backHome')}
      </Link>
    </section>
  );
}
