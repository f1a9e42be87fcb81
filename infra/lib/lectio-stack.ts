import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AppTier } from './app.js';
import { Cdn } from './cdn.js';
import { DataTier } from './data.js';
import { Network } from './network.js';
import { Storage } from './storage.js';

export interface LectioStackProps extends StackProps {
  /** The site's name, e.g. lectio.example.com; CloudFront answers for it. */
  domainName: string;
  /** ACM certificate in us-east-1 for `domainName` (CloudFront takes certificates from there only). */
  cdnCertificateArn: string;
  /** Tag of the image in the stack's ECR repository (built from deploy/docker/Dockerfile). */
  imageTag: string;
  /** Named so synthesis never asks the account for its zones. */
  availabilityZones: string[];
  /** The playback-token CloudFront Function's code, built with the key (see bin/lectio.ts). */
  playbackFunctionCode: string;
}

/** Lectio on AWS (design §3–§7): network, data, storage, CDN and the app, in one stack. */
export class LectioStack extends Stack {
  readonly network: Network;
  readonly data: DataTier;
  readonly storage: Storage;
  readonly cdn: Cdn;
  readonly app: AppTier;

  constructor(scope: Construct, id: string, props: LectioStackProps) {
    super(scope, id, props);
    const originDomainName = `origin.${props.domainName}`;

    this.network = new Network(this, 'Network', { availabilityZones: props.availabilityZones });
    this.data = new DataTier(this, 'Data', {
      vpc: this.network.vpc,
      databaseSg: this.network.databaseSg,
      redisSg: this.network.redisSg,
    });
    this.storage = new Storage(this, 'Storage', { uploadOrigins: [`https://${props.domainName}`] });
    // The app and the CloudFront Function must hold the same key. CloudFront Functions cannot read
    // Secrets Manager, so the deploy reads this secret and builds the function with it.
    const playbackSigningKey = new secretsmanager.Secret(this, 'PlaybackSigningKey', {
      secretName: 'lectio/playback-signing-key',
      description: 'PLAYBACK_SIGNING_KEY: the app signs playback URLs with it, the CloudFront Function checks them',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    this.cdn = new Cdn(this, 'Cdn', {
      domainName: props.domainName,
      originDomainName,
      certificateArn: props.cdnCertificateArn,
      videosProcessed: this.storage.buckets['videos-processed'],
      playbackFunctionCode: props.playbackFunctionCode,
    });
    this.app = new AppTier(this, 'App', {
      network: this.network,
      data: this.data,
      storage: this.storage,
      cdn: this.cdn,
      domainName: props.domainName,
      originDomainName,
      imageTag: props.imageTag,
      playbackSigningKey,
    });

    new CfnOutput(this, 'LoadBalancerDns', {
      value: this.app.loadBalancer.loadBalancerDnsName,
      description: `Point ${originDomainName} here (CNAME or alias)`,
    });
    new CfnOutput(this, 'DistributionDomain', {
      value: this.cdn.distribution.distributionDomainName,
      description: `Point ${props.domainName} here`,
    });
    new CfnOutput(this, 'ImageRepository', { value: this.app.repository.repositoryUri });
  }
}
