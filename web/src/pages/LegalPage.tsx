import { useTranslation } from 'react-i18next';
import { PageCard } from '../components/form';

export function TermsPage() {
  const { t } = useTranslation();
  return (
    <PageCard title={t('legal.terms.title')}>
      <p className="text-slate-700">{t('legal.terms.body')}</p>
    </PageCard>
  );
}

export function PrivacyPage() {
  const { t } = useTranslation();
  return (
    <PageCard title={t('legal.privacy.title')}>
      <p className="text-slate-700">{t('legal.privacy.body')}</p>
    </PageCard>
  );
}
