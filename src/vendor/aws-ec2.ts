/**
 * The one door to the AWS SDK (EC2 and the credential providers): the aws_ec2 inventory imports
 * only from here. The SDK announces on stderr that it will drop Node 20 (NodeVersionSupportWarning,
 * emitted through process.emitWarning while a client is built); Bosun's stderr is for Bosun, so
 * that warning is handed to the caller (its debug log) instead.
 */
import { DescribeInstancesCommand, EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';

export type { Filter as Ec2Filter, Instance as Ec2Instance } from '@aws-sdk/client-ec2';

export interface Ec2ClientOptions {
  /** Undefined: the SDK's own resolution (AWS_REGION, then the profile's `region`). */
  region?: string | undefined;
  /** Another endpoint than AWS's (a local test server, LocalStack); STS goes there too. */
  endpoint?: string | undefined;
  profile?: string | undefined;
  /** A shared credentials file instead of ~/.aws/credentials. */
  credentialsFile?: string | undefined;
  /** Assume this role (STS AssumeRole) with the credentials found otherwise. */
  roleArn?: string | undefined;
  /** Attempts per request, throttling retried with the SDK's backoff (default 5). */
  maxAttempts?: number | undefined;
  /** Where the SDK's own process warnings go. */
  onWarning: (text: string) => void;
}

export interface Ec2Api {
  /** The region requests go to (as resolved when none was given). */
  region(): Promise<string>;
  /** Every page of DescribeInstances for these filters, NextToken followed to the end. */
  describeInstances(filters: Filter[]): AsyncGenerator<Instance[]>;
  destroy(): void;
}

const SDK_WARNING = /NodeVersionSupportWarning|AWS SDK for JavaScript/;

/** Run `make` with the SDK's Node-version warnings sent to `onWarning`; other warnings pass. */
function routingSdkWarnings<T>(onWarning: (text: string) => void, make: () => T): T {
  const original = process.emitWarning;
  const routed = (warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (SDK_WARNING.test(text)) onWarning(text);
    else (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = routed as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = original;
  }
}

export function ec2Client(options: Ec2ClientOptions): Ec2Api {
  const endpoint = options.endpoint;
  let credentials = options.credentialsFile
    ? fromIni({ filepath: options.credentialsFile, ...(options.profile ? { profile: options.profile } : {}) })
    : options.profile
      ? fromIni({ profile: options.profile })
      : fromNodeProviderChain();
  if (options.roleArn) {
    credentials = fromTemporaryCredentials({
      masterCredentials: credentials,
      params: { RoleArn: options.roleArn, RoleSessionName: 'bosun-inventory' },
      clientConfig: {
        ...(options.region ? { region: options.region } : {}),
        ...(endpoint ? { endpoint } : {}),
      },
    });
  }
  const client = routingSdkWarnings(
    options.onWarning,
    () =>
      new EC2Client({
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
        ...(endpoint ? { endpoint } : {}),
        credentials,
        maxAttempts: options.maxAttempts ?? 5,
      }),
  );
  return {
    region: () => client.config.region(),
    async *describeInstances(filters: Filter[]) {
      let token: string | undefined;
      const seen = new Set<string>();
      do {
        const page = await client.send(
          new DescribeInstancesCommand({
            Filters: filters,
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        yield (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
        token = page.NextToken || undefined;
        // A token handed out twice would page forever.
        if (token && seen.has(token)) throw new Error(`DescribeInstances returned NextToken ${token} twice`);
        if (token) seen.add(token);
      } while (token);
    },
    destroy: () => client.destroy(),
  };
}
