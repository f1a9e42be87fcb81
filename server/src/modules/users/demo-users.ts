import type { UserRole } from './service.js';

/**
 * The demo accounts of an embedded install, shown in README.md. They exist only in embedded or
 * development mode: seeding refuses them when NODE_ENV=production.
 */
export const DEMO_USERS: {
  email: string;
  password: string;
  displayName: string;
  role: UserRole;
  locale: 'ko' | 'en';
}[] = [
  {
    email: 'admin@lectio.localhost',
    password: 'lectio-admin-demo',
    displayName: '관리자 Admin',
    role: 'admin',
    locale: 'ko',
  },
  {
    email: 'instructor@lectio.localhost',
    password: 'lectio-instructor-demo',
    displayName: '김강사 Kim',
    role: 'instructor',
    locale: 'ko',
  },
  {
    email: 'student@lectio.localhost',
    password: 'lectio-student-demo',
    displayName: 'Student Lee',
    role: 'student',
    locale: 'en',
  },
];
