import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { POSTGRES_PORT, REDIS_PORT } from './network.js';

export interface DataProps {
  vpc: ec2.IVpc;
  databaseSg: ec2.ISecurityGroup;
  redisSg: ec2.ISecurityGroup;
}

export const DATABASE_NAME = 'lectio';

/**
 * PostgreSQL (design §3.5, §7): a Multi-AZ primary with automatic failover, one read replica
 * (the app's DATABASE_REPLICA_URLS), RDS Proxy in front of the primary in the role PgBouncer has
 * when self-hosting, and Redis as a three-node replication group (primary + two replicas across
 * zones) with TLS and encryption at rest. Every password lives in Secrets Manager.
 */
export class DataTier extends Construct {
  readonly primary: rds.DatabaseInstance;
  readonly replica: rds.DatabaseInstanceReadReplica;
  readonly proxy: rds.DatabaseProxy;
  readonly databaseSecret: secretsmanager.ISecret;
  readonly redis: elasticache.CfnReplicationGroup;
  readonly redisAuthToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    // PostgreSQL 15: the version the test suites run against, and the one Debian bookworm's
    // postgresql-client (pg_dump/pg_restore in the image, for `lectio backup`) can dump.
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 });
    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Lectio: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });

    this.primary = new rds.DatabaseInstance(this, 'Primary', {
      engine,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R7G, ec2.InstanceSize.LARGE),
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [props.databaseSg],
      multiAz: true,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 100,
      maxAllocatedStorage: 1000,
      databaseName: DATABASE_NAME,
      port: POSTGRES_PORT,
      // Characters a URL would need escaped are left out, so the entry script's URL stays simple.
      credentials: rds.Credentials.fromGeneratedSecret('lectio', {
        secretName: 'lectio/database',
        excludeCharacters: ` %+~\`#$&*()|[]{}:;<>?!'/@"\\^=,.`,
      }),
      parameterGroup: parameters,
      // Design §3.5/§7: daily automated backups kept 30 days (PITR from them and the WAL); the
      // window starts at 03:00 UTC like the app's own `lectio backup` job.
      backupRetention: Duration.days(30),
      preferredBackupWindow: '03:00-03:30',
      preferredMaintenanceWindow: 'sun:04:00-sun:04:30',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: true,
      autoMinorVersionUpgrade: true,
    });
    if (!this.primary.secret) throw new Error('the primary database has no generated secret');
    this.databaseSecret = this.primary.secret;

    this.replica = new rds.DatabaseInstanceReadReplica(this, 'Replica', {
      sourceDatabaseInstance: this.primary,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R7G, ec2.InstanceSize.LARGE),
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [props.databaseSg],
      // Encryption at rest comes from the primary: a replica of an encrypted instance is encrypted.
      parameterGroup: parameters,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
    });

    // The proxy shares the database tier's group, so "5432 from the app" stays the only way in.
    this.proxy = this.primary.addProxy('Proxy', {
      secrets: [this.databaseSecret],
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [props.databaseSg],
      requireTLS: true,
      // Long-lived pooled connections from many tasks; the proxy multiplexes them onto few.
      maxConnectionsPercent: 90,
      idleClientTimeout: Duration.minutes(30),
    });

    this.redisAuthToken = new secretsmanager.Secret(this, 'RedisAuthToken', {
      secretName: 'lectio/redis-auth-token',
      description: 'AUTH token of the Lectio Redis replication group',
      // ElastiCache refuses some punctuation in tokens; letters and digits are always fine.
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    const redisSubnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'Lectio Redis (isolated subnets)',
      subnetIds: props.vpc.selectSubnets(subnets).subnetIds,
    });
    this.redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'Lectio cache, counters, rate limits, progress buffer and BullMQ',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: 'cache.r7g.large',
      // Design §3.5: three-node HA — a primary and two replicas, failover across zones.
      numCacheClusters: 3,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      // A {{resolve:secretsmanager:…}} reference: CloudFormation reads the token at deploy time,
      // so it never appears in the template.
      authToken: this.redisAuthToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: redisSubnets.ref,
      securityGroupIds: [props.redisSg.securityGroupId],
      // BullMQ keeps its jobs in Redis: evicting keys would lose jobs.
      cacheParameterGroupName: new elasticache.CfnParameterGroup(this, 'RedisParameters', {
        cacheParameterGroupFamily: 'redis7',
        description: 'Lectio: noeviction (BullMQ)',
        properties: { 'maxmemory-policy': 'noeviction' },
      }).ref,
      snapshotRetentionLimit: 7,
      snapshotWindow: '02:00-03:00',
    });
  }
}
