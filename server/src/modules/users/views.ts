import type { UserRow } from './repository.js';

/** The signed-in user's own view of their account (the contract's `Me`). */
export interface MeView {
  id: string;
  email: string;
  displayName: string;
  role: UserRow['role'];
  locale: UserRow['locale'];
  emailVerified: boolean;
  marketingConsent: boolean;
  createdAt: string;
}

export interface AdminUserView extends MeView {
  status: UserRow['status'];
  lastLoginAt: string | null;
}

export function toMeView(user: UserRow): MeView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    locale: user.locale,
    emailVerified: user.emailVerifiedAt !== null,
    marketingConsent: user.marketingConsentAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export function toAdminUserView(user: UserRow): AdminUserView {
  return { ...toMeView(user), status: user.status, lastLoginAt: user.lastLoginAt?.toISOString() ?? null };
}
