import type { Config } from '../../config.js';
import { CloudFrontCdn } from './cloudfront.js';
import { NoCdn } from './noop.js';
import type { CdnPort } from './port.js';

/** The one place that picks the CDN backend. */
export function createCdn(config: Config['cdn']): CdnPort {
  if (config.backend === 'cloudfront') return new CloudFrontCdn({ distributionId: config.distributionId });
  return new NoCdn();
}
