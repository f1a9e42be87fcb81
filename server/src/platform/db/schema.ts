// Every table Lectio owns, in one place for Drizzle's typed queries and for drizzle-kit.
export * from '../../modules/users/schema.js';
export * from '../../modules/auth/schema.js';
export * from '../mail/schema.js';
export * from '../queue/schema.js';
export * from '../storage/schema.js';
export * from '../../modules/catalog/schema.js';
export * from '../../modules/enrollments/schema.js';
export * from '../../modules/reviews/schema.js';
export * from '../../modules/search/schema.js';
export * from '../../modules/analytics/schema.js';
export * from '../../modules/videos/schema.js';
export * from '../../modules/playback/schema.js';
export * from '../../modules/progress/schema.js';
export * from '../../modules/certificates/schema.js';
export * from '../../modules/payments/schema.js';
export * from '../payments/schema.js';
