import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { focusRing } from './form';

const itemClass = `block w-full rounded-md px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 ${focusRing}`;

/** The signed-in user's menu (a disclosure), or Log in / Sign up for visitors. */
export function UserMenu() {
  const { t } = useTranslation();
  const { state, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const containerRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  // Close on navigation, outside click and Escape.
  const [lastPath, setLastPath] = useState(location.pathname);
  if (lastPath !== location.pathname) {
    setLastPath(location.pathname);
    setOpen(false);
  }
  useEffect(() => {
    if (!open) return;
    function onPointer(event: PointerEvent) {
      if (!containerRef.current?.contains(event.target as Node)) setOpen(false);
    }
    function onKey(event: KeyboardEvent) {
      if (event.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    }
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (state.status === 'loading') return <span className="w-20" aria-hidden="true" />;

  if (state.status === 'anonymous') {
    return (
      <div className="flex items-center gap-2">
        <Link
          to="/login"
          className={`rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 ${focusRing}`}
        >
          {t('auth.login.link')}
        </Link>
        <Link
          to="/signup"
          className={`rounded-md bg-indigo-700 px-3 py-2 text-sm font-bold text-white hover:bg-indigo-800 ${focusRing}`}
        >
          {t('auth.signup.link')}
        </Link>
      </div>
    );
  }

  async function handleLogout() {
    setOpen(false);
    try {
      await logout();
    } finally {
      void navigate('/', { replace: true });
    }
  }

  return (
    <div ref={containerRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((value) => !value)}
        className={`flex max-w-48 items-center gap-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:border-slate-400 ${focusRing}`}
        data-testid="user-menu-button"
      >
        <span className="sr-only">{t('userMenu.label')}: </span>
        <span className="truncate">{state.user.displayName}</span>
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div
          id={menuId}
          className="absolute right-0 z-20 mt-2 w-56 rounded-lg border border-slate-200 bg-white p-1 shadow-lg"
        >
          <p className="truncate px-3 py-2 text-xs text-slate-500">{state.user.email}</p>
          <ul>
            <li>
              <Link to="/me/learning" className={itemClass}>
                {t('userMenu.myLearning')}
              </Link>
            </li>
            <li>
              <Link to="/me/wishlist" className={itemClass}>
                {t('userMenu.wishlist')}
              </Link>
            </li>
            <li>
              <Link to="/me/orders" className={itemClass}>
                {t('userMenu.myOrders')}
              </Link>
            </li>
            {(state.user.role === 'instructor' || state.user.role === 'admin') && (
              <li>
                <Link to="/studio" className={itemClass}>
                  {t('userMenu.studio')}
                </Link>
              </li>
            )}
            {(state.user.role === 'instructor' || state.user.role === 'admin') && (
              <li>
                <Link to="/studio/videos" className={itemClass}>
                  {t('videos.library.title')}
                </Link>
              </li>
            )}
            {(state.user.role === 'instructor' || state.user.role === 'admin') && (
              <>
                <li>
                  <Link to="/studio/revenue" className={itemClass}>
                    {t('userMenu.studioRevenue')}
                  </Link>
                </li>
                <li>
                  <Link to="/studio/coupons" className={itemClass}>
                    {t('userMenu.studioCoupons')}
                  </Link>
                </li>
              </>
            )}
            <li className="mt-1 border-t border-slate-200 pt-1">
              <Link to="/settings" className={itemClass}>
                {t('userMenu.settings')}
              </Link>
            </li>
            <li>
              <Link to="/settings/sessions" className={itemClass}>
                {t('userMenu.sessions')}
              </Link>
            </li>
            {state.user.role === 'admin' && (
              <>
                <li>
                  <Link to="/admin/users" className={itemClass}>
                    {t('userMenu.adminUsers')}
                  </Link>
                </li>
                <li>
                  <Link to="/admin/instructor-applications" className={itemClass}>
                    {t('userMenu.adminApplications')}
                  </Link>
                </li>
                <li>
                  <Link to="/admin/courses" className={itemClass}>
                    {t('userMenu.adminCourses')}
                  </Link>
                </li>
                <li>
                  <Link to="/admin/reviews" className={itemClass}>
                    {t('userMenu.adminReviews')}
                  </Link>
                </li>
                <li>
                  <Link to="/admin/orders" className={itemClass}>
                    {t('userMenu.adminOrders')}
                  </Link>
                </li>
                <li>
                  <Link to="/admin/jobs" className={itemClass}>
                    {t('userMenu.adminJobs')}
                  </Link>
                </li>
              </>
            )}
            <li className="mt-1 border-t border-slate-200 pt-1">
              <button type="button" className={itemClass} onClick={() => void handleLogout()}>
                {t('userMenu.logout')}
              </button>
            </li>
          </ul>
        </div>
      )}
    </div>
  );
}
