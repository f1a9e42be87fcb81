import { createBrowserRouter } from 'react-router';
import { RequireAdmin, RequireAuth } from './auth/guards';
import { RequireInstructor } from './catalog/guards';
import { CategoryPage } from './catalog/pages/CategoryPage';
import { InstructorPage } from './catalog/pages/InstructorPage';
import { SearchPage } from './catalog/pages/SearchPage';
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
          { path: 'search', element: <SearchPage /> },
          { path: 'categories/:slug', element: <CategoryPage /> },
          {
            // Lazy: the Markdown renderer it needs is the app's largest dependency.
            path: 'courses/:slug',
            lazy: async () => ({ Component: (await import('./catalog/pages/CoursePage')).CoursePage }),
          },
          { path: 'instructors/:id', element: <InstructorPage /> },
          {
            // Public: a certificate's QR code and printed URL lead here.
            path: 'certificates/:code',
            lazy: async () => ({ Component: (await import('./certificates/CertificatePage')).CertificatePage }),
          },
          {
            // Free-preview lessons open for visitors too; the API says who may read the rest.
            path: 'learn/:slug/lessons/:lessonId',
            lazy: async () => ({ Component: (await import('./catalog/pages/LessonPage')).LessonPage }),
          },
          {
            element: <RequireInstructor />,
            children: [
              {
                path: 'studio',
                lazy: async () => ({
                  Component: (await import('./catalog/pages/StudioCoursesPage')).StudioCoursesPage,
                }),
              },
              {
                path: 'studio/courses/:id',
                lazy: async () => ({ Component: (await import('./catalog/pages/StudioCoursePage')).StudioCoursePage }),
              },
              {
                path: 'studio/videos',
                lazy: async () => ({ Component: (await import('./videos/StudioVideosPage')).StudioVideosPage }),
              },
              {
                path: 'studio/courses/:id/analytics',
                lazy: async () => ({
                  Component: (await import('./learning/CourseAnalyticsPage')).CourseAnalyticsPage,
                }),
              },
              {
                // The pipeline's ready/failed mails link here.
                path: 'studio/videos/:id',
                lazy: async () => ({ Component: (await import('./videos/StudioVideoPage')).StudioVideoPage }),
              },
              {
                path: 'studio/revenue',
                lazy: async () => ({ Component: (await import('./commerce/RevenuePage')).RevenuePage }),
              },
              {
                path: 'studio/coupons',
                lazy: async () => ({ Component: (await import('./commerce/CouponsPage')).CouponsPage }),
              },
            ],
          },
          {
            element: <RequireAuth />,
            children: [
              {
                path: 'me/learning',
                lazy: async () => ({ Component: (await import('./learning/MyLearningPage')).MyLearningPage }),
              },
              {
                path: 'me/courses',
                lazy: async () => ({ Component: (await import('./catalog/pages/MyLearningPages')).MyCoursesPage }),
              },
              {
                path: 'me/wishlist',
                lazy: async () => ({ Component: (await import('./catalog/pages/MyLearningPages')).WishlistPage }),
              },
              {
                path: 'courses/:slug/checkout',
                lazy: async () => ({ Component: (await import('./commerce/CheckoutPage')).CheckoutPage }),
              },
              {
                // The payment page sends the student back to these two.
                path: 'checkout/success',
                lazy: async () => ({
                  Component: (await import('./commerce/CheckoutResultPages')).CheckoutSuccessPage,
                }),
              },
              {
                path: 'checkout/cancel',
                lazy: async () => ({ Component: (await import('./commerce/CheckoutResultPages')).CheckoutCancelPage }),
              },
              {
                path: 'me/orders',
                lazy: async () => ({ Component: (await import('./commerce/MyOrdersPage')).MyOrdersPage }),
              },
              {
                // The receipt mail links here.
                path: 'me/orders/:id',
                lazy: async () => ({ Component: (await import('./commerce/ReceiptPage')).ReceiptPage }),
              },
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
                path: 'admin/courses',
                lazy: async () => ({ Component: (await import('./catalog/pages/AdminCatalogPages')).AdminCoursesPage }),
              },
              {
                path: 'admin/reviews',
                lazy: async () => ({ Component: (await import('./catalog/pages/AdminCatalogPages')).AdminReviewsPage }),
              },
              {
                path: 'admin/orders',
                lazy: async () => ({ Component: (await import('./commerce/AdminOrdersPage')).AdminOrdersPage }),
              },
              {
                path: 'admin/jobs',
                lazy: async () => ({ Component: (await import('./jobs/AdminJobsPage')).AdminJobsPage }),
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
