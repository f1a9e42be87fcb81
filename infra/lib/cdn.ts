import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface CdnProps {
  domainName: string;
  /** The app behind the load balancer, by a name its HTTPS certificate covers. */
  originDomainName: string;
  /** An ACM certificate in us-east-1 (CloudFront's region) for `domainName`. */
  certificateArn: string;
  videosProcessed: s3.IBucket;
  /** The playback-token viewer-request function's code (infra/cloudfront/, built with the key). */
  playbackFunctionCode: string;
}

/**
 * CloudFront in front of everything on the domain (design §3.2): the app through the load
 * balancer, and HLS under /media/p/* straight from the private videos-processed bucket through
 * origin access control. Signed access is the playback token, checked by a CloudFront Function
 * before the cache; the function strips the token from the URI, so the cache key is the object's
 * key alone and every student's request for a segment hits the same cached object.
 */
export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly playbackFunction: cloudfront.Function;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    this.playbackFunction = new cloudfront.Function(this, 'PlaybackToken', {
      comment: 'Lectio playback tokens: HMAC over the video path prefix, expiry and user',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(props.playbackFunctionCode),
    });

    const mediaCache = new cloudfront.CachePolicy(this, 'MediaCache', {
      comment: 'HLS segments, playlists and posters: the object key only, kept a month (design §3.2)',
      defaultTtl: Duration.days(30),
      maxTtl: Duration.days(365),
      minTtl: Duration.seconds(0),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const app = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      readTimeout: Duration.seconds(60),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Lectio',
      domainNames: [props.domainName],
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      defaultBehavior: {
        origin: app,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // The app sets Cache-Control itself (HTML 5 min, hashed assets a year); CloudFront obeys it.
        cachePolicy: cloudfront.CachePolicy.USE_ORIGIN_CACHE_CONTROL_HEADERS_QUERY_STRINGS,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
      additionalBehaviors: {
        '/media/p/*': {
          origin: origins.S3BucketOrigin.withOriginAccessControl(props.videosProcessed, {
            originAccessLevels: [cloudfront.AccessLevel.READ],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachePolicy: mediaCache,
          compress: true,
          functionAssociations: [
            { function: this.playbackFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
          ],
        },
      },
    });
  }
}
