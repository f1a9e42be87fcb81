import { randomBytes } from 'node:crypto';
import { CloudFrontClient, CreateInvalidationCommand, type CloudFrontClientConfig } from '@aws-sdk/client-cloudfront';
import { assertInvalidationPaths, type CdnPort } from './port.js';

export interface CloudFrontCdnOptions {
  distributionId: string;
  /** Only for tests against a local stand-in; CloudFront itself has one global endpoint. */
  endpoint?: string;
  /** Unset: the SDK's default chain (environment, instance or task role, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** CloudFront caps one invalidation batch at 3,000 paths. */
const MAX_PATHS_PER_BATCH = 3_000;

export class CloudFrontCdn implements CdnPort {
  readonly backend = 'cloudfront' as const;
  readonly #client: CloudFrontClient;
  readonly #distributionId: string;

  constructor(options: CloudFrontCdnOptions) {
    const config: CloudFrontClientConfig = {
      // CloudFront's API lives in us-east-1 whatever the distribution serves.
      region: 'us-east-1',
      endpoint: options.endpoint,
      credentials: options.credentials,
    };
    this.#client = new CloudFrontClient(config);
    this.#distributionId = options.distributionId;
  }

  async invalidate(paths: string[]): Promise<void> {
    assertInvalidationPaths(paths);
    const unique = [...new Set(paths)];
    for (let start = 0; start < unique.length; start += MAX_PATHS_PER_BATCH) {
      const batch = unique.slice(start, start + MAX_PATHS_PER_BATCH);
      await this.#client.send(
        new CreateInvalidationCommand({
          DistributionId: this.#distributionId,
          InvalidationBatch: {
            // CloudFront treats a reused reference with other paths as an error, and with the same
            // paths as "already done": every call must be its own request.
            CallerReference: `lectio-${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`,
            Paths: { Quantity: batch.length, Items: batch },
          },
        }),
      );
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
