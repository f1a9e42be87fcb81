import { Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** The port the API listens on inside its task (the app's PORT default). */
export const APP_PORT = 3000;
export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;

export interface NetworkProps {
  /** Named outright: a VPC that asked for the account's zones would need a context lookup at synth. */
  availabilityZones: string[];
}

/**
 * The design's section 5: the load balancer in public subnets, the app in private subnets that
 * reach out through NAT (Stripe, SMTP, S3, ECR), the database and cache in isolated subnets with
 * no route out at all. One security group per tier, and only these openings:
 *
 *   load balancer  ← 80, 443 from anywhere
 *   app            ← the app port from the load balancer
 *   database       ← 5432 from the app (and from itself: RDS Proxy sits in this tier and talks to
 *                    the instances behind it)
 *   redis          ← 6379 from the app
 *
 * The groups do not allow all outbound either: the load balancer may only reach the app, the
 * database and cache tiers reach nothing outside their own tier. Rules between tiers are added
 * where the tiers meet (the listener's targets, the proxy), never as a wide CIDR.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly loadBalancerSg: ec2.SecurityGroup;
  readonly appSg: ec2.SecurityGroup;
  readonly databaseSg: ec2.SecurityGroup;
  readonly redisSg: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      availabilityZones: props.availabilityZones,
      // One NAT per zone: losing a zone must not cut the other zone's app off from Stripe and SMTP.
      natGateways: props.availabilityZones.length,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    // S3 traffic from the app (uploads, transcoded output) stays off the NAT's per-GB bill.
    this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });

    this.loadBalancerSg = new ec2.SecurityGroup(this, 'LoadBalancerSg', {
      vpc: this.vpc,
      description: 'Lectio load balancer: HTTP and HTTPS from anywhere',
      allowAllOutbound: false,
    });
    this.loadBalancerSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP (redirected to HTTPS)');
    this.loadBalancerSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');

    this.appSg = new ec2.SecurityGroup(this, 'AppSg', {
      vpc: this.vpc,
      description: 'Lectio API and workers: the app port from the load balancer only',
      // Outbound through NAT: Stripe, SMTP, S3, ECR, Secrets Manager, CloudWatch Logs.
      allowAllOutbound: true,
    });
    this.appSg.addIngressRule(this.loadBalancerSg, ec2.Port.tcp(APP_PORT), 'from the load balancer');

    this.databaseSg = new ec2.SecurityGroup(this, 'DatabaseSg', {
      vpc: this.vpc,
      description: 'Lectio PostgreSQL and RDS Proxy: 5432 from the app only',
      allowAllOutbound: false,
    });
    this.databaseSg.addIngressRule(this.appSg, ec2.Port.tcp(POSTGRES_PORT), 'from the app');
    // The proxy-to-instance rule inside this group (5432 in and out, from and to itself) is added by
    // RDS Proxy's construct when the proxy joins the group (data.ts).

    this.redisSg = new ec2.SecurityGroup(this, 'RedisSg', {
      vpc: this.vpc,
      description: 'Lectio Redis: 6379 from the app only',
      allowAllOutbound: false,
    });
    this.redisSg.addIngressRule(this.appSg, ec2.Port.tcp(REDIS_PORT), 'from the app');

    Tags.of(this).add('lectio:tier', 'network');
  }
}
