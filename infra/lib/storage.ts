import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * The app's buckets (server/src/config.ts BUCKETS): the design's five (§3.6) plus `certificates`,
 * where the app keeps issued certificate PDFs. Names are `<prefix><bucket>`, the prefix being the
 * app's S3_BUCKET_PREFIX.
 */
export const BUCKET_NAMES = [
  'videos-raw',
  'videos-processed',
  'thumbnails',
  'attachments',
  'backups',
  'certificates',
] as const;
export type BucketName = (typeof BUCKET_NAMES)[number];

/** Raw uploads move to cold storage after this many days (design §3.6; the app's default too). */
export const RAW_COLD_AFTER_DAYS = 30;
/** Backups are deleted after this many days (design §3.6). */
export const BACKUP_EXPIRY_DAYS = 90;

export interface StorageProps {
  /** Web origins whose pages PUT upload parts straight to videos-raw. */
  uploadOrigins: string[];
}

/**
 * Every bucket private (public access blocked, ACLs off), encrypted at rest (SSE-S3; CloudFront's
 * origin access control reads it without a KMS key policy), versioned (design §7), TLS only.
 * Lifecycle rules are declared here and not by the app: the app's `ensureBuckets` is for
 * self-hosted stores, and its task role has no right to change bucket configuration.
 */
export class Storage extends Construct {
  readonly prefix: string;
  readonly buckets: Record<BucketName, s3.Bucket>;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    // Bucket names are global: the account keeps one deployment's names from another's.
    this.prefix = `lectio-${Stack.of(this).account}-`;
    const lifecycle: Record<BucketName, s3.LifecycleRule[]> = {
      'videos-raw': [
        {
          id: 'raw-uploads-to-cold-storage',
          transitions: [
            // Instant Retrieval: a re-transcode months later still reads the file straight away.
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(RAW_COLD_AFTER_DAYS),
            },
          ],
          // Parts of uploads the studio abandoned cost money and are never completed later.
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(30) },
      ],
      'videos-processed': [
        // A re-transcode replaces a whole ladder; the old one is only worth a short undo window.
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(7) },
      ],
      thumbnails: [{ id: 'old-versions', noncurrentVersionExpiration: Duration.days(30) }],
      attachments: [
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'stray-multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      backups: [
        {
          id: 'backups-deleted-after-90-days',
          expiration: Duration.days(BACKUP_EXPIRY_DAYS),
          // In a versioned bucket expiry only adds a delete marker; this removes the data itself.
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: false,
        },
      ],
      certificates: [{ id: 'old-versions', noncurrentVersionExpiration: Duration.days(30) }],
    };

    const make = (name: BucketName): s3.Bucket =>
      new s3.Bucket(
        this,
        name.replace(/(^|-)(.)/g, (_m, _d: string, c: string) => c.toUpperCase()),
        {
          bucketName: `${this.prefix}${name}`,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          minimumTLSVersion: 1.2,
          versioned: true,
          lifecycleRules: lifecycle[name],
          removalPolicy: RemovalPolicy.RETAIN,
          cors:
            name === 'videos-raw'
              ? [
                  {
                    allowedMethods: [s3.HttpMethods.PUT],
                    allowedOrigins: props.uploadOrigins,
                    allowedHeaders: ['*'],
                    // The uploader reads each part's ETag to complete the multipart upload.
                    exposedHeaders: ['ETag'],
                    maxAge: 3600,
                  },
                ]
              : undefined,
        },
      );

    this.buckets = Object.fromEntries(BUCKET_NAMES.map((name) => [name, make(name)])) as Record<BucketName, s3.Bucket>;
  }
}
