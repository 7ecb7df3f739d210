/**
 * The one door to the AWS SDK's SSM and Secrets Manager clients: one value read by name, the
 * SecureString decrypted. Credentials and region come from the SDK's usual chain (environment,
 * profile, instance role) unless given; `endpoint` points the clients elsewhere (tests, a
 * local stand-in). Failures keep the service's error code (`ParameterNotFound`).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClientOptions {
  region?: string | undefined;
  endpoint?: string | undefined;
}

export class AwsCallError extends Error {
  constructor(
    /** The service's error code (`ParameterNotFound`, `AccessDeniedException`), or the SDK's error name. */
    readonly code: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

function config(options: AwsClientOptions): { region?: string; endpoint?: string; maxAttempts: number } {
  const out: { region?: string; endpoint?: string; maxAttempts: number } = { maxAttempts: 2 };
  if (options.region !== undefined) out.region = options.region;
  if (options.endpoint !== undefined) out.endpoint = options.endpoint;
  return out;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    const error = cause as { name?: string; Code?: string; message?: string };
    throw new AwsCallError(error.Code ?? error.name ?? 'Error', error.message ?? String(cause), { cause });
  }
}

/** The value of an SSM parameter (a SecureString decrypted). */
export async function getSsmParameter(name: string, options: AwsClientOptions): Promise<string> {
  const client = new SSMClient(config(options));
  try {
    const out = await call(() => client.send(new GetParameterCommand({ Name: name, WithDecryption: true })));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new AwsCallError('NoValue', 'the answer holds no Parameter.Value');
    return value;
  } finally {
    client.destroy();
  }
}

/** The SecretString of a Secrets Manager secret (binary secrets as base64). */
export async function getSecretValue(id: string, options: AwsClientOptions): Promise<string> {
  const client = new SecretsManagerClient(config(options));
  try {
    const out = await call(() => client.send(new GetSecretValueCommand({ SecretId: id })));
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('base64');
    throw new AwsCallError('NoValue', 'the answer holds neither SecretString nor SecretBinary');
  } finally {
    client.destroy();
  }
}
