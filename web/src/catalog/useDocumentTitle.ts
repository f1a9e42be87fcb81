import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** "<page> · Lectio" while the page is shown; the app's title again when it goes. */
export function useDocumentTitle(title: string | undefined) {
  const { t } = useTranslation();
  useEffect(() => {
    if (!title) return;
    document.title = `${title} · Lectio`;
    return () => {
      document.title = t('app.documentTitle');
    };
  }, [title, t]);
}
