import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnSecurityGroup, ISecurityGroup, ISubnet } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { buildPlaybackFunction } from '../cloudfront/build-playback-function.js';
import { API_SCALING } from '../lib/app.js';
import { BACKUP_EXPIRY_DAYS, BUCKET_NAMES, RAW_COLD_AFTER_DAYS } from '../lib/storage.js';
import { synthLectio, TEST_ACCOUNT } from './synth.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../server/src/modules/playback/token-vectors.json', import.meta.url), 'utf8'),
) as { key: string };
const { stack, template } = synthLectio(buildPlaybackFunction(vectors.key));

type Resource = { Type: string; Properties?: Record<string, unknown> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (sg: ISecurityGroup) => stack.getLogicalId(sg.node.defaultChild as CfnSecurityGroup);
const getAtt = (value: unknown) => (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];

describe('security groups: exactly design §5', () => {
  const tiers = {
    [logicalId(stack.network.loadBalancerSg)]: 'lb',
    [logicalId(stack.network.appSg)]: 'app',
    [logicalId(stack.network.databaseSg)]: 'db',
    [logicalId(stack.network.redisSg)]: 'redis',
  };
  const tierOf = (value: unknown) => tiers[getAtt(value) ?? ''] ?? `?${JSON.stringify(value)}`;
  // The proxy's rule names the primary's port by reference; the primary states it is 5432.
  const primaryId = stack.getLogicalId(stack.data.primary.node.defaultChild as never);
  const port = (value: unknown) =>
    getAtt(value) === primaryId ? String(resources[primaryId]!.Properties!.Port) : String(value);
  const describeRule = (rule: Record<string, unknown>, direction: 'from' | 'to') => {
    const [from, to] = [port(rule.FromPort), port(rule.ToPort)];
    const ports = from === to ? from : `${from}-${to}`;
    const peer =
      rule.CidrIp ??
      rule.CidrIpv6 ??
      tierOf(direction === 'from' ? rule.SourceSecurityGroupId : rule.DestinationSecurityGroupId);
    return `${rule.IpProtocol}/${ports} ${direction} ${String(peer)}`;
  };
  const rules = (direction: 'in' | 'out') => {
    const found: string[] = [];
    for (const [id, sg] of ofType('AWS::EC2::SecurityGroup')) {
      const inline = (sg.Properties?.[direction === 'in' ? 'SecurityGroupIngress' : 'SecurityGroupEgress'] ??
        []) as Record<string, unknown>[];
      for (const rule of inline)
        found.push(`${tiers[id] ?? id}: ${describeRule(rule, direction === 'in' ? 'from' : 'to')}`);
    }
    const separate = direction === 'in' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress';
    for (const [, rule] of ofType(separate)) {
      const props = rule.Properties ?? {};
      found.push(`${tierOf(props.GroupId)}: ${describeRule(props, direction === 'in' ? 'from' : 'to')}`);
    }
    return found.sort();
  };

  it('has one group per tier and no other', () => {
    expect(
      ofType('AWS::EC2::SecurityGroup')
        .map(([id]) => tiers[id] ?? id)
        .sort(),
    ).toEqual(['app', 'db', 'lb', 'redis']);
  });

  it('lets in only: 80/443 to the load balancer, the app port from the load balancer, 5432 and 6379 from the app', () => {
    expect(rules('in')).toEqual(
      [
        'lb: tcp/80 from 0.0.0.0/0',
        'lb: tcp/443 from 0.0.0.0/0',
        'app: tcp/3000 from lb',
        'db: tcp/5432 from app',
        // RDS Proxy shares the database tier's group and reaches the instances inside it.
        'db: tcp/5432 from db',
        'redis: tcp/6379 from app',
      ].sort(),
    );
  });

  it('lets out only: the load balancer to the app, the proxy to the instances, the app to the world (NAT)', () => {
    expect(rules('out')).toEqual(
      [
        'app: -1/undefined to 0.0.0.0/0',
        'lb: tcp/3000 to app',
        'db: tcp/5432 to db',
        // CDK's placeholder for "no outbound at all" (ICMP type 252 to an address that cannot exist).
        'redis: icmp/252-86 to 255.255.255.255/32',
      ].sort(),
    );
  });

  it('puts each resource in its tier’s group and subnets', () => {
    const group = (sg: ISecurityGroup) => [{ 'Fn::GetAtt': [logicalId(sg), 'GroupId'] }];
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      SecurityGroups: group(stack.network.loadBalancerSg),
    });
    for (const [, service] of ofType('AWS::ECS::Service')) {
      expect(service.Properties?.NetworkConfiguration).toMatchObject({
        AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', SecurityGroups: group(stack.network.appSg) },
      });
    }
    expect(ofType('AWS::ECS::Service')).toHaveLength(3);
    template.allResourcesProperties('AWS::RDS::DBInstance', { VPCSecurityGroups: group(stack.network.databaseSg) });
    template.hasResourceProperties('AWS::RDS::DBProxy', { VpcSecurityGroupIds: group(stack.network.databaseSg) });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      SecurityGroupIds: group(stack.network.redisSg),
    });
    // The data tier's subnets have no route out: no NAT, no internet gateway.
    const isolated = stack.network.vpc.isolatedSubnets.map((s) => s.subnetId);
    expect(isolated).toHaveLength(2);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: Match.anyValue() });
    const routesOf = (subnet: ISubnet) => {
      const prefix = stack.getLogicalId(subnet.node.defaultChild as never).replace(/Subnet[0-9A-F]{8}$/, '');
      return ofType('AWS::EC2::Route').filter(([id]) => id.startsWith(prefix));
    };
    for (const subnet of stack.network.vpc.isolatedSubnets) expect(routesOf(subnet)).toEqual([]);
    // The same look-up finds the app subnets' default route through NAT, so the check above can fail.
    for (const subnet of stack.network.vpc.privateSubnets) expect(routesOf(subnet)).toHaveLength(1);
    expect(ofType('AWS::EC2::NatGateway')).toHaveLength(2);
  });
});

describe('buckets: private, encrypted, versioned, with the lifecycle rules', () => {
  const buckets = ofType('AWS::S3::Bucket');
  const byName = (name: string) =>
    buckets.find(([, b]) => JSON.stringify(b.Properties?.BucketName).includes(`-${name}`))?.[1].Properties ?? {};

  it('has the app’s six buckets, each private, SSE-encrypted, versioned and TLS-only', () => {
    expect(buckets).toHaveLength(BUCKET_NAMES.length);
    for (const name of BUCKET_NAMES) {
      expect(byName(name).BucketName).toBe(`lectio-${TEST_ACCOUNT}-${name}`);
    }
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policies = ofType('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(BUCKET_NAMES.length);
    for (const [, policy] of policies) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('moves raw uploads to cold storage after 30 days', () => {
    expect(byName('videos-raw').LifecycleConfiguration).toMatchObject({
      Rules: expect.arrayContaining([
        expect.objectContaining({
          Status: 'Enabled',
          Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: RAW_COLD_AFTER_DAYS }],
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        }),
      ]),
    });
    expect(RAW_COLD_AFTER_DAYS).toBe(30);
  });

  it('deletes backups after 90 days, old versions included', () => {
    expect(byName('backups').LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'backups-deleted-after-90-days',
          Status: 'Enabled',
          ExpirationInDays: BACKUP_EXPIRY_DAYS,
          ExpiredObjectDeleteMarker: false,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        },
      ],
    });
    expect(BACKUP_EXPIRY_DAYS).toBe(90);
    // No other bucket expires current objects.
    for (const name of BUCKET_NAMES.filter((n) => n !== 'backups')) {
      expect(JSON.stringify(byName(name).LifecycleConfiguration ?? {})).not.toContain('ExpirationInDays');
    }
  });
});

describe('API autoscaling: 2–10 tasks, out above 70 % CPU for 5 min, in below 30 % for 10 min', () => {
  it('bounds the service', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: API_SCALING.min,
      LoadBalancers: Match.anyValue(),
    });
  });

  const alarm = (operator: string) => {
    const found = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties?.ComparisonOperator === operator);
    expect(found).toHaveLength(1);
    return found[0]![1].Properties!;
  };
  const policyOf = (alarmProps: Record<string, unknown>) => {
    const [ref] = alarmProps.AlarmActions as { Ref: string }[];
    return resources[ref!.Ref]!.Properties!.StepScalingPolicyConfiguration as Record<string, unknown>;
  };
  const cpuMetric = {
    Namespace: 'AWS/ECS',
    MetricName: 'CPUUtilization',
    Statistic: 'Average',
    Period: 60,
    Dimensions: Match.arrayWith([Match.objectLike({ Name: 'ServiceName' })]),
  };

  it('scales out after five minutes above 70 %', () => {
    const high = alarm('GreaterThanThreshold');
    expect(high).toMatchObject({ Threshold: 70, EvaluationPeriods: 5, DatapointsToAlarm: 5, Period: 60 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      ...cpuMetric,
    });
    const policy = policyOf(high);
    expect(policy).toMatchObject({ AdjustmentType: 'ChangeInCapacity', Cooldown: 300 });
    const steps = policy.StepAdjustments as { ScalingAdjustment: number }[];
    expect(steps.every((s) => s.ScalingAdjustment > 0)).toBe(true);
  });

  it('scales in after ten minutes below 30 %, one task at a time', () => {
    const low = alarm('LessThanThreshold');
    expect(low).toMatchObject({ Threshold: 30, EvaluationPeriods: 10, DatapointsToAlarm: 10, Period: 60 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ComparisonOperator: 'LessThanThreshold', ...cpuMetric });
    expect(policyOf(low)).toMatchObject({
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: 600,
      StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }],
    });
  });
});

describe('workers', () => {
  const services = ofType('AWS::ECS::Service');
  const taskOf = (command: string) =>
    ofType('AWS::ECS::TaskDefinition').find(([, t]) =>
      JSON.stringify(t.Properties?.ContainerDefinitions).includes(command),
    )![1].Properties!;

  it('runs video workers on larger tasks and general workers on spot capacity', () => {
    const api = taskOf('"--api"');
    const video = taskOf('"video"');
    const general = taskOf('"default"');
    expect(Number(video.Cpu)).toBeGreaterThan(Number(api.Cpu));
    expect(Number(video.Memory)).toBeGreaterThan(Number(api.Memory));
    const strategies = services.map(([, s]) => JSON.stringify(s.Properties?.CapacityProviderStrategy));
    expect(strategies.filter((s) => s.includes('FARGATE_SPOT'))).toHaveLength(1);
    const generalService = services.find(([, s]) =>
      JSON.stringify(s.Properties?.TaskDefinition).includes(
        Object.entries(resources).find(([, r]) => r.Properties === general)![0],
      ),
    )![1];
    expect(generalService.Properties).toMatchObject({
      DesiredCount: 4,
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    });
  });
});

describe('encryption, TLS and Multi-AZ', () => {
  it('runs PostgreSQL Multi-AZ, encrypted, TLS-only, backed up 30 days, with a read replica behind RDS Proxy', () => {
    const instances = ofType('AWS::RDS::DBInstance');
    expect(instances).toHaveLength(2);
    const [primary] = instances.filter(([, i]) => !i.Properties?.SourceDBInstanceIdentifier);
    const [replica] = instances.filter(([, i]) => i.Properties?.SourceDBInstanceIdentifier);
    expect(primary![1].Properties).toMatchObject({
      Engine: 'postgres',
      MultiAZ: true,
      StorageEncrypted: true,
      BackupRetentionPeriod: 30,
      DeletionProtection: true,
    });
    expect(replica![1].Properties?.SourceDBInstanceIdentifier).toBeDefined();
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
    template.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
    // The master password is generated into Secrets Manager, never written in the template.
    expect(JSON.stringify(primary![1].Properties?.MasterUserPassword)).toContain('resolve:secretsmanager');
  });

  it('runs Redis as three nodes across zones with TLS, encryption at rest and an AUTH token from Secrets Manager', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
    });
    const [[, redis]] = ofType('AWS::ElastiCache::ReplicationGroup') as [[string, Resource]];
    expect(JSON.stringify(redis.Properties?.AuthToken)).toContain('resolve:secretsmanager');
  });

  it('serves HTTPS with a TLS 1.2+ policy and redirects plain HTTP', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health/ready',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
      ]),
    });
  });

  it('puts CloudFront on TLS 1.2+ both ways, the media bucket behind origin access control', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
        Origins: Match.arrayWith([
          Match.objectLike({
            CustomOriginConfig: Match.objectLike({
              OriginSSLProtocols: ['TLSv1.2'],
              OriginProtocolPolicy: 'https-only',
            }),
          }),
          Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } }),
        ]),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
    // Only CloudFront (this distribution) may read videos-processed.
    const mediaPolicy = ofType('AWS::S3::BucketPolicy')
      .map(([, p]) => JSON.stringify(p.Properties))
      .filter((p) => p.includes('cloudfront.amazonaws.com'));
    expect(mediaPolicy).toHaveLength(1);
    expect(mediaPolicy[0]).toContain('AWS:SourceArn');
    expect(mediaPolicy[0]).toContain(
      stack.getLogicalId(stack.storage.buckets['videos-processed'].node.defaultChild as never),
    );
  });

  it('injects every secret from Secrets Manager and none as plain environment', () => {
    const containers = ofType('AWS::ECS::TaskDefinition').flatMap(
      ([, t]) =>
        t.Properties?.ContainerDefinitions as { Environment: { Name: string }[]; Secrets: { Name: string }[] }[],
    );
    for (const c of containers) {
      expect(c.Secrets.map((s) => s.Name).sort()).toEqual(
        [
          'APP_SECRET',
          'DB_PASSWORD',
          'DB_USER',
          'JWT_SIGNING_SECRET',
          'PLAYBACK_SIGNING_KEY',
          'REDIS_AUTH_TOKEN',
        ].sort(),
      );
      expect(c.Environment.map((e) => e.Name).filter((n) => /SECRET|PASSWORD|TOKEN|KEY$/.test(n))).toEqual([]);
    }
    expect(ofType('AWS::SecretsManager::Secret').length).toBeGreaterThanOrEqual(5);
  });
});

describe('the playback-token CloudFront Function in the template', () => {
  const [[, fn]] = ofType('AWS::CloudFront::Function') as [[string, Resource]];

  it('is infra/cloudfront/playback-token-function.js on the cloudfront-js-2.0 runtime, on /media/p/* viewer requests', () => {
    expect(fn.Properties?.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    expect(fn.Properties?.FunctionCode).toBe(buildPlaybackFunction(vectors.key));
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: '/media/p/*',
            ViewerProtocolPolicy: 'https-only',
            FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
          }),
        ],
      }),
    });
  });

  it('keys the media cache on the object alone: no query string, header or cookie', () => {
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 30 * 24 * 3600,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
  });
});

describe('the playback-token function from the template, run against the shared vectors', () => {
  const all = JSON.parse(
    readFileSync(new URL('../../server/src/modules/playback/token-vectors.json', import.meta.url), 'utf8'),
  ) as {
    now: number;
    cases: { name: string; url: string; expect: { ok: boolean; reason?: string; videoId?: string; rest?: string } }[];
  };
  const [[, fn]] = ofType('AWS::CloudFront::Function') as [[string, Resource]];
  const clock = { nowMs: all.now * 1000 + 999 };
  const context = vm.createContext({
    require: (name: string) => {
      if (name !== 'crypto') throw new Error(`CloudFront Functions have no module ${name}`);
      return crypto;
    },
    testClock: clock,
  });
  vm.runInContext('Date.now = function () { return testClock.nowMs; };', context);
  vm.runInContext(String(fn.Properties?.FunctionCode), context);
  const handler = context.handler as (event: unknown) => Record<string, unknown>;

  it.each(all.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [uri = '', query = ''] = c.url.split('?');
    const querystring = Object.fromEntries([...new URLSearchParams(query)].map(([k, v]) => [k, { value: v }]));
    const result = handler({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '198.51.100.7' },
      request: { method: 'GET', uri, querystring, headers: {}, cookies: {} },
    });
    if (c.expect.ok) expect(result).toMatchObject({ uri: `/${c.expect.videoId}/${c.expect.rest}`, querystring: {} });
    else
      expect(result).toMatchObject({ statusCode: 403, headers: { 'x-playback-denied': { value: c.expect.reason } } });
  });
});

it('synthesises for the fixed dummy account and region', () => {
  expect(Stack.of(stack).account).toBe(TEST_ACCOUNT);
  expect(stack.region).toBe('ap-northeast-2');
});
