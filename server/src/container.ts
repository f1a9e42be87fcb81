import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { adminRoutes } from './modules/admin/routes.js';
import { AdminUserService } from './modules/admin/service.js';
import { AccountCache } from './modules/auth/account-cache.js';
import { LoginGuard } from './modules/auth/login-guard.js';
import { PrincipalService } from './modules/auth/principals.js';
import { AuthRepository } from './modules/auth/repository.js';
import { authRoutes } from './modules/auth/routes.js';
import { AuthService } from './modules/auth/service.js';
import { deriveLocalSigningKey, TokenService } from './modules/auth/tokens.js';
import { devMailboxRoutes } from './modules/devtools/routes.js';
import { healthRoutes } from './modules/health/routes.js';
import { HealthService } from './modules/health/service.js';
import { ALL_JOB_DECLARATIONS, buildJobRegistrations } from './modules/jobs.js';
import { ApplicationRepository } from './modules/instructor-applications/repository.js';
import { InstructorApplicationService } from './modules/instructor-applications/service.js';
import { NotificationService } from './modules/notifications/service.js';
import { AccountService } from './modules/users/account-service.js';
import { UserRepository } from './modules/users/repository.js';
import { meRoutes } from './modules/users/routes.js';
import { UserService } from './modules/users/service.js';
import { createCache } from './platform/cache/factory.js';
import type { CachePort } from './platform/cache/port.js';
import { ResilientCounters } from './platform/cache/resilient.js';
import { createDatabase } from './platform/db/factory.js';
import type { DatabasePort } from './platform/db/port.js';
import { createMail } from './platform/mail/factory.js';
import { OutboxReader } from './platform/mail/outbox.js';
import type { MailPort } from './platform/mail/port.js';
import { createQueue } from './platform/queue/factory.js';
import type { QueuePort } from './platform/queue/port.js';
import { assertEveryJobHasHandler } from './platform/queue/registry.js';
import { createStorage } from './platform/storage/factory.js';
import { LocalStorage } from './platform/storage/local.js';
import { localStorageRoutes } from './platform/storage/local-http.js';
import type { StoragePort } from './platform/storage/port.js';
import { createLogger, type Logger } from './platform/telemetry/logger.js';

/** Every adapter, built once from Config. Nothing else constructs adapters. */
export interface Platform {
  config: Config;
  log: Logger;
  database: DatabasePort;
  cache: CachePort;
  queue: QueuePort;
  storage: StoragePort;
  mail: MailPort;
  /** APP_SECRET, or the one generated into the data directory. */
  appSecret: string;
}

export const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The secret behind locally signed URLs. Production must set APP_SECRET (config enforces it); an
 * embedded install makes one on first start and keeps it in the data directory, so signed links
 * survive restarts without the user configuring anything.
 */
async function resolveAppSecret(config: Config): Promise<string> {
  if (config.appSecret) return config.appSecret;
  const file = path.join(config.dataDir, 'app-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async () => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

export async function openPlatform(config: Config, purpose: string, log?: Logger): Promise<Platform> {
  const logger = log ?? createLogger({ level: config.logLevel, name: 'lectio' });
  const database = await createDatabase(config.database, purpose);
  try {
    const cache = await createCache(config.cache);
    const queue = createQueue(config.queue, { database, logger });
    const appSecret = await resolveAppSecret(config);
    const storage = await createStorage(config.storage, {
      database,
      publicUrl: config.http.publicUrl,
      signingSecret: appSecret,
    });
    const mail = createMail(config.mail, { database, from: config.mailFrom });
    return { config, log: logger, database, cache, queue, storage, mail, appSecret };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function closePlatform(platform: Platform): Promise<void> {
  const results = await Promise.allSettled([
    platform.queue.close(),
    platform.cache.close(),
    platform.storage.close(),
    platform.mail.close(),
  ]);
  await platform.database.close();
  for (const r of results) if (r.status === 'rejected') platform.log.warn({ err: r.reason }, 'error while closing');
}

/** The services, each given only the ports it uses. */
export function buildServices(platform: Platform) {
  const { config, database, queue, cache, log } = platform;
  const userRepository = new UserRepository(database.db, database.primary);
  const authRepository = new AuthRepository(database.primary);
  const applicationRepository = new ApplicationRepository(database.db, database.primary);
  const users = new UserService(userRepository);
  const notifications = new NotificationService(queue);

  const tokens = new TokenService(
    config.auth.signingKeys ?? [deriveLocalSigningKey(platform.appSecret)],
    config.auth.accessTokenTtlSeconds,
  );
  const accountCache = new AccountCache(cache, userRepository, authRepository, log);
  const loginGuard = new LoginGuard(new ResilientCounters(cache, log));
  const auth = new AuthService(userRepository, authRepository, tokens, notifications, loginGuard, accountCache, {
    publicUrl: config.http.publicUrl,
    refreshTokenTtlMs: config.auth.refreshTokenTtlMs,
    refreshReuseGraceMs: config.auth.refreshReuseGraceMs,
  });
  const principals = new PrincipalService(tokens, accountCache);
  const accounts = new AccountService(
    userRepository,
    authRepository,
    applicationRepository,
    accountCache,
    notifications,
    {
      publicUrl: config.http.publicUrl,
    },
  );
  const instructorApplications = new InstructorApplicationService(applicationRepository, userRepository, accountCache);
  const adminUsers = new AdminUserService(userRepository, authRepository, accountCache);
  const health = new HealthService([
    { name: 'database', backend: database.backend, critical: true, ping: () => database.ping() },
    { name: 'cache', backend: platform.cache.backend, critical: false, ping: () => platform.cache.ping() },
    { name: 'queue', backend: queue.backend, critical: false, ping: () => queue.ping() },
    { name: 'storage', backend: platform.storage.backend, critical: false, ping: () => platform.storage.ping() },
    { name: 'mail', backend: platform.mail.backend, critical: false, ping: () => platform.mail.ping() },
  ]);
  return { users, notifications, health, tokens, auth, principals, accounts, instructorApplications, adminUsers };
}
export type Services = ReturnType<typeof buildServices>;

export async function buildHttpApp(platform: Platform, services: Services): Promise<FastifyInstance> {
  const { config } = platform;
  const routes: FastifyPluginAsync[] = [
    healthRoutes(services.health),
    authRoutes(services.auth, { secure: config.auth.cookieSecure }),
    meRoutes(services.accounts, services.instructorApplications),
    adminRoutes(services.adminUsers, services.instructorApplications),
  ];
  // Demo-only surfaces never exist in production, whatever the backends.
  if (!config.isProduction && platform.mail.backend === 'outbox') {
    routes.push(devMailboxRoutes(new OutboxReader(platform.database.db)));
  }
  if (platform.storage instanceof LocalStorage) routes.push(localStorageRoutes(platform.storage));
  return buildApp({
    config,
    logger: platform.log,
    cache: platform.cache,
    authenticator: services.principals,
    webRoot: WEB_ROOT,
    routes,
  });
}

export function jobRegistrations(platform: Platform) {
  const registrations = buildJobRegistrations({ db: platform.database.primary, mail: platform.mail });
  assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, registrations);
  return registrations;
}
