import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Outlet, useLocation } from 'react-router';
import { ForbiddenPage } from '../pages/ForbiddenPage';
import { useAuth } from './AuthProvider';

function Checking() {
  const { t } = useTranslation();
  return (
    <p role="status" className="mx-auto max-w-xl px-4 py-24 text-center text-sm text-slate-500">
      {t('auth.checking')}
    </p>
  );
}

/** Signed-in users only; others go to /login?next=<where they were going>. */
export function RequireAuth({ children }: { children?: ReactNode }) {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <Checking />;
  if (state.status === 'anonymous') {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return children ?? <Outlet />;
}

/** Admins only; a signed-in non-admin sees 403. */
export function RequireAdmin() {
  const { state } = useAuth();
  return (
    <RequireAuth>
      {state.status === 'authenticated' && state.user.role === 'admin' ? <Outlet /> : <ForbiddenPage />}
    </RequireAuth>
  );
}
