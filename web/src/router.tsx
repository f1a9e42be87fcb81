import { createBrowserRouter } from 'react-router';
import { RequireAdmin, RequireAuth } from './auth/guards';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/auth/LoginPage';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/auth/PasswordResetPages';
import { SignupPage } from './pages/auth/SignupPage';
import { VerifyEmailPage } from './pages/auth/VerifyEmailPage';
import { DevMailboxPage } from './pages/DevMailboxPage';
import { DevMailPage } from './pages/DevMailPage';
import { HomePage } from './pages/HomePage';
import { PrivacyPage, TermsPage } from './pages/LegalPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RouteErrorPage } from './pages/RouteErrorPage';

// Account and admin pages are loaded on first visit: most visitors never open them.
export const router = createBrowserRouter([
  {
    element: <Layout />,
    // Outermost net: a failure inside the layout itself still gets our page
    // rather than React Router's developer screen (which uses inline styles).
    errorElement: <RouteErrorPage />,
    children: [
      {
        // Page errors render inside the layout so navigation stays usable.
        errorElement: <RouteErrorPage />,
        children: [
          { index: true, element: <HomePage /> },
          { path: 'signup', element: <SignupPage /> },
          { path: 'verify-email', element: <VerifyEmailPage /> },
          { path: 'login', element: <LoginPage /> },
          { path: 'forgot-password', element: <ForgotPasswordPage /> },
          { path: 'reset-password', element: <ResetPasswordPage /> },
          { path: 'terms', element: <TermsPage /> },
          { path: 'privacy', element: <PrivacyPage /> },
          {
            element: <RequireAuth />,
            children: [
              {
                path: 'settings',
                lazy: async () => ({ Component: (await import('./pages/SettingsPage')).SettingsPage }),
              },
              {
                path: 'settings/sessions',
                lazy: async () => ({ Component: (await import('./pages/SessionsPage')).SessionsPage }),
              },
            ],
          },
          {
            element: <RequireAdmin />,
            children: [
              {
                path: 'admin/users',
                lazy: async () => ({ Component: (await import('./pages/AdminUsersPage')).AdminUsersPage }),
              },
              {
                path: 'admin/instructor-applications',
                lazy: async () => ({
                  Component: (await import('./pages/AdminApplicationsPage')).AdminApplicationsPage,
                }),
              },
            ],
          },
          { path: 'dev/mailbox', element: <DevMailboxPage /> },
          { path: 'dev/mailbox/:id', element: <DevMailPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
