import { Outlet } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { RequireAuth } from '../auth/guards';
import { ForbiddenPage } from '../pages/ForbiddenPage';

/** Instructors and admins only (the studio); a signed-in student sees 403. */
export function RequireInstructor() {
  const { state } = useAuth();
  const allowed = state.status === 'authenticated' && (state.user.role === 'instructor' || state.user.role === 'admin');
  return <RequireAuth>{allowed ? <Outlet /> : <ForbiddenPage />}</RequireAuth>;
}
