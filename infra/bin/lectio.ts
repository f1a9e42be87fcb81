import { readFileSync } from 'node:fs';
import { App, Annotations } from 'aws-cdk-lib';
import { buildPlaybackFunction, PLAYBACK_FUNCTION_SOURCE } from '../cloudfront/build-playback-function.js';
import { LectioStack } from '../lib/lectio-stack.js';

/**
 * The CDK app. Synthesis is offline and deterministic: a fixed account and region, the zones named,
 * no context lookups. A real deploy passes its own values with -c (cdk.json has the defaults):
 *
 *   PLAYBACK_SIGNING_KEY=$(aws secretsmanager get-secret-value --secret-id lectio/playback-signing-key ...) \
 *     npx cdk deploy -c lectio:account=... -c lectio:domainName=... -c lectio:imageTag=...
 */
const app = new App();
const context = (key: string, fallback: string): string => {
  const value: unknown = app.node.tryGetContext(`lectio:${key}`);
  return typeof value === 'string' && value ? value : fallback;
};

// Deploy tooling reads the key from its environment, like build-playback-function.ts.
// eslint-disable-next-line no-restricted-properties
const signingKey = process.env.PLAYBACK_SIGNING_KEY;
const playbackFunctionCode = signingKey
  ? buildPlaybackFunction(signingKey)
  : readFileSync(PLAYBACK_FUNCTION_SOURCE, 'utf8');

const account = context('account', '111111111111');
const region = context('region', 'ap-northeast-2');
const availabilityZones = context('availabilityZones', `${region}a,${region}c`).split(',');
// The VPC checks its zones against the account's; answering that lookup here keeps synthesis
// offline (a lookup would need credentials and the network).
app.node.setContext(`availability-zones:account=${account}:region=${region}`, availabilityZones);
const stack = new LectioStack(app, 'Lectio', {
  env: { account, region },
  domainName: context('domainName', 'lectio.example.com'),
  cdnCertificateArn: context(
    'cdnCertificateArn',
    'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000000',
  ),
  imageTag: context('imageTag', 'latest'),
  availabilityZones,
  playbackFunctionCode,
  description: 'Lectio: online-course video platform (infra/ in the Lectio repository)',
});
if (!signingKey) {
  // The unbuilt function holds a placeholder shorter than any key, so it refuses every playback.
  Annotations.of(stack.cdn.playbackFunction).addWarningV2(
    'lectio:unbuilt-playback-function',
    'PLAYBACK_SIGNING_KEY is not set: the playback function refuses every request until deployed with the key',
  );
}
