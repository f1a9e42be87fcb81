import { createBrowserRouter } from 'react-router';
import { Layout } from './components/Layout';
import { DevMailboxPage } from './pages/DevMailboxPage';
import { DevMailPage } from './pages/DevMailPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RouteErrorPage } from './pages/RouteErrorPage';

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
          { path: 'dev/mailbox', element: <DevMailboxPage /> },
          { path: 'dev/mailbox/:id', element: <DevMailPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
