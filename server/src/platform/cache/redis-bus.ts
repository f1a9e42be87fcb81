import { Redis } from 'ioredis';
import type { InvalidationBus, NearInvalidation } from './near.js';

/**
 * Near-cache invalidations over Redis pub/sub, one channel per namespace (deployment). A subscribed
 * connection can do nothing else, hence its own; publishing uses a second one that fails fast like
 * the cache's (no offline queue): a message that cannot be sent is lost and the TTL covers it.
 */
export class RedisInvalidationBus implements InvalidationBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;

  constructor(url: string, namespace: string) {
    this.channel = `${namespace}near-invalidate`;
    this.publisher = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.subscriber = new Redis(url, {
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // Without listeners ioredis reports every failed reconnect as an unhandled error event.
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
  }

  async publish(message: NearInvalidation): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }

  async subscribe(onMessage: (message: NearInvalidation) => void, onGap: () => void): Promise<void> {
    let connectedOnce = false;
    // ioredis resubscribes by itself after a reconnect; what was published meanwhile is gone.
    this.subscriber.on('ready', () => {
      if (connectedOnce) onGap();
      connectedOnce = true;
    });
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      try {
        onMessage(JSON.parse(raw) as NearInvalidation);
      } catch {
        onGap(); // unreadable: treat as "something changed"
      }
    });
    if (this.subscriber.status === 'ready') connectedOnce = true;
    // Queued until connected; start-up does not wait for a Redis that is down (the TTL covers it).
    void this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
