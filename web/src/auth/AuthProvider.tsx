import { useQueryClient } from '@tanstack/react-query';
import { createContext, use, useCallback, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { logout as logoutRequest } from '../api/accounts';
import type { AuthState } from './sessionManager';
import { session } from './session';

interface AuthContextValue {
  state: AuthState;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const queryClient = useQueryClient();

  // A reload keeps the user signed in: the refresh cookie yields a new access token.
  useEffect(() => {
    if (session.getState().status === 'loading') void session.refresh();
  }, []);

  const logout = useCallback(async () => {
    try {
      await logoutRequest();
    } finally {
      queryClient.removeQueries({ queryKey: ['me'] });
      queryClient.removeQueries({ queryKey: ['admin'] });
    }
  }, [queryClient]);

  const value = useMemo(() => ({ state, logout }), [state, logout]);
  return <AuthContext value={value}>{children}</AuthContext>;
}

export function useAuth(): AuthContextValue {
  const value = use(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}
