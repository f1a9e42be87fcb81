import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LectioStack } from '../lib/lectio-stack.js';

export const TEST_ACCOUNT = '111111111111';
export const TEST_REGION = 'ap-northeast-2';
export const TEST_ZONES = [`${TEST_REGION}a`, `${TEST_REGION}c`];

/**
 * The stack synthesised in-process, as bin/lectio.ts builds it, with the playback function code
 * the caller gives (the vectors' key, so the function in the template can be run against them).
 * CloudFormation validation is the CLI smoke test's job; here it would only triple the time.
 */
export function synthLectio(playbackFunctionCode: string): { stack: LectioStack; template: Template } {
  // aws-cdk-lib reads this switch from the environment only.
  // eslint-disable-next-line no-restricted-properties
  process.env.CDK_VALIDATION = 'false';
  const app = new App({
    context: { [`availability-zones:account=${TEST_ACCOUNT}:region=${TEST_REGION}`]: TEST_ZONES },
  });
  const stack = new LectioStack(app, 'Lectio', {
    env: { account: TEST_ACCOUNT, region: TEST_REGION },
    domainName: 'lectio.example.com',
    cdnCertificateArn: `arn:aws:acm:us-east-1:${TEST_ACCOUNT}:certificate/00000000-0000-4000-8000-000000000000`,
    imageTag: 'test',
    availabilityZones: TEST_ZONES,
    playbackFunctionCode,
  });
  return { stack, template: Template.fromStack(stack) };
}
