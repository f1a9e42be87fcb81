import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { SearchBox } from '../catalog/components/SearchBox';
import { DevMailboxLink } from './DevMailboxLink';
import { LanguageSwitch } from './LanguageSwitch';
import { LogoMark } from './LogoMark';
import { UserMenu } from './UserMenu';

const navLinkClass =
  'rounded-md px-2 py-2 text-sm font-medium whitespace-nowrap text-slate-600 sm:px-3 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';

export function Layout() {
  const { t } = useTranslation();
  const { state } = useAuth();
  const role = state.status === 'authenticated' ? state.user.role : null;

  return (
    <div className="flex min-h-dvh flex-col bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only rounded-md bg-indigo-700 px-4 py-2 text-white focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50"
      >
        {t('app.skipToContent')}
      </a>

      <header className="border-b border-slate-200 bg-white/90 backdrop-blur">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-3 gap-y-2 px-4 py-3 sm:gap-x-6 sm:px-6">
          <Link
            to="/"
            aria-label={t('app.homeLink')}
            className="flex items-center gap-2 rounded-md text-xl font-bold tracking-tight text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-600"
          >
            <LogoMark className="size-8" />
            <span>Lectio</span>
          </Link>

          <nav aria-label={t('nav.label')} className="flex-1">
            <ul className="flex items-center gap-1">
              <li>
                <NavLink
                  to="/"
                  end
                  className={({ isActive }) =>
                    isActive ? `${navLinkClass} bg-slate-100 text-slate-900` : navLinkClass
                  }
                >
                  {t('nav.home')}
                </NavLink>
              </li>
              <li>
                <NavLink
                  to="/search"
                  className={({ isActive }) =>
                    isActive ? `${navLinkClass} bg-slate-100 text-slate-900` : navLinkClass
                  }
                >
                  {t('nav.search')}
                </NavLink>
              </li>
              {role && (
                <li>
                  <NavLink
                    to="/me/learning"
                    className={({ isActive }) =>
                      isActive ? `${navLinkClass} bg-slate-100 text-slate-900` : navLinkClass
                    }
                  >
                    {t('nav.myLearning')}
                  </NavLink>
                </li>
              )}
              {(role === 'instructor' || role === 'admin') && (
                <li>
                  <NavLink
                    to="/studio"
                    className={({ isActive }) =>
                      isActive ? `${navLinkClass} bg-slate-100 text-slate-900` : navLinkClass
                    }
                  >
                    {t('nav.studio')}
                  </NavLink>
                </li>
              )}
              <li>
                {/* Served by the API server, not the SPA: force a full page load. */}
                <a href="/docs" className={navLinkClass}>
                  {t('nav.apiDocs')}
                </a>
              </li>
            </ul>
          </nav>

          <SearchBox />
          <LanguageSwitch />
          <UserMenu />
        </div>
      </header>

      <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
        <Outlet />
      </main>

      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-col gap-1 px-4 py-6 text-sm text-slate-500 sm:flex-row sm:justify-between sm:px-6">
          <p>{t('footer.copyright', { year: new Date().getFullYear() })}</p>
          <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
            <p>{t('footer.tagline')}</p>
            <DevMailboxLink className="rounded-sm text-xs text-slate-500 underline decoration-slate-300 underline-offset-4 hover:text-slate-800 hover:decoration-slate-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" />
          </div>
        </div>
      </footer>
    </div>
  );
}
