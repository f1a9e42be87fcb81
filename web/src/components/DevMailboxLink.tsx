import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { devMailboxKeys, fetchMailboxAvailable } from '../api/devMailbox';

/**
 * Footer link to the dev mailbox, shown only when the server has one: a
 * production server answers 404 and the link stays hidden. Asked once per visit.
 */
export function DevMailboxLink({ className }: { className?: string }) {
  const { t } = useTranslation();
  const available = useQuery({
    queryKey: devMailboxKeys.available(),
    queryFn: ({ signal }) => fetchMailboxAvailable(signal),
    staleTime: Infinity,
    retry: false,
    refetchOnWindowFocus: false,
  });

  if (available.data !== true) return null;
  return (
    <Link to="/dev/mailbox" className={className}>
      {t('footer.devMailbox')}
    </Link>
  );
}
