import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Cdn } from './cdn.js';
import { DATABASE_NAME, type DataTier } from './data.js';
import { APP_PORT, type Network } from './network.js';
import { BUCKET_NAMES, type Storage } from './storage.js';

/** Design §3.4: the API scales on CPU between these bounds. */
export const API_SCALING = {
  min: 2,
  max: 10,
  outAbovePercent: 70,
  outAfterMinutes: 5,
  inBelowPercent: 30,
  inAfterMinutes: 10,
} as const;

export interface AppProps {
  network: Network;
  data: DataTier;
  storage: Storage;
  cdn: Cdn;
  domainName: string;
  /** The name CloudFront reaches the load balancer by (a DNS record pointing at it). */
  originDomainName: string;
  imageTag: string;
  playbackSigningKey: secretsmanager.ISecret;
}

/**
 * The app on ECS Fargate: one image, three services (design §3.4, §3.7).
 *   api              `serve --api` behind the load balancer, 2–10 tasks on CPU
 *   video workers    `serve --worker --queues video`, two large tasks on regular capacity
 *   general workers  `serve --worker --queues default`, four small tasks on Fargate Spot
 *                    (design §9: spot for non-critical workers; an interrupted job is retried)
 * Every task starts with deploy/docker/entrypoint.sh: it builds the connection URLs from the
 * Secrets Manager values ECS injects, applies migrations and then serves.
 */
export class AppTier extends Construct {
  readonly cluster: ecs.Cluster;
  readonly repository: ecr.Repository;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly api: ecs.FargateService;
  readonly videoWorkers: ecs.FargateService;
  readonly generalWorkers: ecs.FargateService;

  constructor(scope: Construct, id: string, props: AppProps) {
    super(scope, id);
    const { network, data, storage, cdn } = props;
    const vpc = network.vpc;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });
    this.repository = new ecr.Repository(this, 'Images', {
      repositoryName: 'lectio',
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ description: 'keep the last 50 images', maxImageCount: 50 }],
    });
    const image = ecs.ContainerImage.fromEcrRepository(this.repository, props.imageTag);

    const appSecret = new secretsmanager.Secret(this, 'AppSecret', {
      secretName: 'lectio/app-secret',
      description: 'APP_SECRET of the Lectio app',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    const jwtSecret = new secretsmanager.Secret(this, 'JwtSigningSecret', {
      secretName: 'lectio/jwt-signing-secret',
      description: 'Secret of the Lectio JWT signing key (the entry script names it; see infra/README.md to rotate)',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });

    const environment: Record<string, string> = {
      NODE_ENV: 'production',
      PORT: String(APP_PORT),
      HOST: '0.0.0.0',
      PUBLIC_URL: `https://${props.domainName}`,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'info',
      // Parts the entry script turns into DATABASE_URL, DATABASE_REPLICA_URLS and REDIS_URL.
      DB_HOST: data.proxy.endpoint,
      DB_PORT: '5432',
      DB_NAME: DATABASE_NAME,
      // RDS Proxy presents an Amazon-issued certificate that Node trusts out of the box; the
      // replica's RDS certificate chains to the RDS bundle the image adds (NODE_EXTRA_CA_CERTS).
      DB_SSLMODE: 'verify-full',
      DB_REPLICA_HOSTS: data.replica.dbInstanceEndpointAddress,
      REDIS_HOST: data.redis.attrPrimaryEndPointAddress,
      REDIS_PORT: data.redis.attrPrimaryEndPointPort,
      REDIS_TLS: 'true',
      QUEUE_BACKEND: 'bullmq',
      STORAGE_BACKEND: 's3',
      S3_REGION: vpc.env.region,
      S3_BUCKET_PREFIX: storage.prefix,
      CDN_CLOUDFRONT_DISTRIBUTION_ID: cdn.distribution.distributionId,
      PAYMENTS_BACKEND: 'auto',
      JWT_SIGNING_KEY_ID: 'k1',
    };
    const secrets: Record<string, ecs.Secret> = {
      DB_USER: ecs.Secret.fromSecretsManager(data.databaseSecret, 'username'),
      DB_PASSWORD: ecs.Secret.fromSecretsManager(data.databaseSecret, 'password'),
      REDIS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(data.redisAuthToken),
      APP_SECRET: ecs.Secret.fromSecretsManager(appSecret),
      JWT_SIGNING_SECRET: ecs.Secret.fromSecretsManager(jwtSecret),
      PLAYBACK_SIGNING_KEY: ecs.Secret.fromSecretsManager(props.playbackSigningKey),
    };

    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Lectio app tasks: objects in its buckets, CDN invalidations',
    });
    for (const name of BUCKET_NAMES) storage.buckets[name].grantReadWrite(taskRole);
    taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront:CreateInvalidation'],
        resources: [cdn.distribution.distributionArn],
      }),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: '/lectio/app',
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const task = (name: string, cpu: number, memoryLimitMiB: number, command: string[], listens: boolean) => {
      const definition = new ecs.FargateTaskDefinition(this, `${name}Task`, {
        cpu,
        memoryLimitMiB,
        taskRole,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        // Transcoding scratch space: a long 1080p source and its ladder outgrow the default 20 GiB.
        ephemeralStorageGiB: name === 'VideoWorker' ? 100 : undefined,
      });
      definition.addContainer('app', {
        image,
        command,
        environment,
        secrets,
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name.toLowerCase() }),
        portMappings: listens ? [{ containerPort: APP_PORT }] : [],
        stopTimeout: Duration.seconds(120),
      });
      return definition;
    };

    const privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.api = new ecs.FargateService(this, 'Api', {
      cluster: this.cluster,
      taskDefinition: task('Api', 1024, 2048, ['serve', '--api'], true),
      desiredCount: API_SCALING.min,
      vpcSubnets: privateSubnets,
      securityGroups: [network.appSg],
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    this.videoWorkers = new ecs.FargateService(this, 'VideoWorkers', {
      cluster: this.cluster,
      taskDefinition: task('VideoWorker', 8192, 16384, ['serve', '--worker', '--queues', 'video'], false),
      desiredCount: 2,
      vpcSubnets: privateSubnets,
      securityGroups: [network.appSg],
      assignPublicIp: false,
      minHealthyPercent: 50,
      circuitBreaker: { rollback: true },
      capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    this.generalWorkers = new ecs.FargateService(this, 'GeneralWorkers', {
      cluster: this.cluster,
      taskDefinition: task('GeneralWorker', 1024, 2048, ['serve', '--worker', '--queues', 'default'], false),
      desiredCount: 4,
      vpcSubnets: privateSubnets,
      securityGroups: [network.appSg],
      assignPublicIp: false,
      minHealthyPercent: 50,
      circuitBreaker: { rollback: true },
      capacityProviderStrategies: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    });

    // --- load balancer: HTTPS only, TLS 1.2+ (design §3.3) ---
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: network.loadBalancerSg,
      dropInvalidHeaderFields: true,
      http2Enabled: true,
      idleTimeout: Duration.seconds(120),
    });
    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.originDomainName,
      validation: acm.CertificateValidation.fromDns(),
    });
    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
      certificates: [certificate],
      // TLS 1.3 and 1.2 only.
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    });
    this.httpsListener.addTargets('Api', {
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.api],
      loadBalancingAlgorithmType: elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS,
      // 503 only when the database is unreachable; cache or queue trouble keeps serving (degraded).
      healthCheck: {
        path: '/health/ready',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(30),
    });

    this.#scaleApiOnCpu();
  }

  /**
   * Target tracking would hide the design's timings inside alarms AWS manages (3 min out, 15 min
   * in); step scaling with our own alarms states them: above 70 % for 5 minutes adds tasks, below
   * 30 % for 10 minutes removes one.
   */
  #scaleApiOnCpu(): void {
    const target = new appscaling.ScalableTarget(this, 'ApiScaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${this.cluster.clusterName}/${this.api.serviceName}`,
      minCapacity: API_SCALING.min,
      maxCapacity: API_SCALING.max,
    });
    // One-minute datapoints, so "for N minutes" is N consecutive breaching datapoints.
    const cpu = () =>
      this.api.metricCpuUtilization({ period: Duration.minutes(1), statistic: cloudwatch.Stats.AVERAGE });

    const out = new appscaling.StepScalingAction(this, 'ApiScaleOut', {
      scalingTarget: target,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.AVERAGE,
      cooldown: Duration.minutes(API_SCALING.outAfterMinutes),
    });
    out.addAdjustment({ lowerBound: 0, upperBound: 20, adjustment: 1 });
    out.addAdjustment({ lowerBound: 20, adjustment: 2 });
    new cloudwatch.Alarm(this, 'ApiCpuHigh', {
      alarmDescription: `API CPU above ${API_SCALING.outAbovePercent} % for ${API_SCALING.outAfterMinutes} minutes: add tasks`,
      metric: cpu(),
      threshold: API_SCALING.outAbovePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: API_SCALING.outAfterMinutes,
      datapointsToAlarm: API_SCALING.outAfterMinutes,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    }).addAlarmAction(new cwActions.ApplicationScalingAction(out));

    const scaleIn = new appscaling.StepScalingAction(this, 'ApiScaleIn', {
      scalingTarget: target,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.AVERAGE,
      cooldown: Duration.minutes(API_SCALING.inAfterMinutes),
    });
    scaleIn.addAdjustment({ upperBound: 0, adjustment: -1 });
    new cloudwatch.Alarm(this, 'ApiCpuLow', {
      alarmDescription: `API CPU below ${API_SCALING.inBelowPercent} % for ${API_SCALING.inAfterMinutes} minutes: remove a task`,
      metric: cpu(),
      threshold: API_SCALING.inBelowPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: API_SCALING.inAfterMinutes,
      datapointsToAlarm: API_SCALING.inAfterMinutes,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    }).addAlarmAction(new cwActions.ApplicationScalingAction(scaleIn));
  }
}
