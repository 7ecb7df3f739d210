/**
 * A stand-in for AWS SSM Parameter Store and Secrets Manager on 127.0.0.1, speaking their JSON
 * protocol (awsJson1_1: POST /, `X-Amz-Target: AmazonSSM.GetParameter` or
 * `secretsmanager.GetSecretValue`), so the real SDK clients sign, send and parse as they would
 * against AWS. It records every request (target, body, whether it was signed) and answers
 * unknown names with the services' own error codes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAwsRequest {
  target: string;
  body: Record<string, unknown>;
  /** The Authorization header is a SigV4 signature. */
  signed: boolean;
}

export interface FakeAwsSecrets {
  url: string;
  requests: FakeAwsRequest[];
  close(): Promise<void>;
}

export async function startFakeAwsSecrets(data: {
  parameters?: Record<string, string>;
  secrets?: Record<string, string>;
}): Promise<FakeAwsSecrets> {
  const requests: FakeAwsRequest[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      const signed = String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=');
      requests.push({ target, body, signed });
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'AmazonSSM.GetParameter') {
        const name = String(body.Name);
        const value = data.parameters?.[name];
        if (value === undefined) return answer(400, { __type: 'ParameterNotFound', message: '' });
        return answer(200, {
          Parameter: {
            Name: name,
            Type: body.WithDecryption === true ? 'SecureString' : 'SecureString',
            Value: body.WithDecryption === true ? value : 'AQICAHencrypted==',
            Version: 1,
            ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`,
          },
        });
      }
      if (target === 'secretsmanager.GetSecretValue') {
        const id = String(body.SecretId);
        const value = data.secrets?.[id];
        if (value === undefined)
          return answer(400, {
            __type: 'ResourceNotFoundException',
            Message: "Secrets Manager can't find the specified secret.",
          });
        return answer(200, {
          ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`,
          Name: id,
          SecretString: value,
          VersionId: '00000000-0000-0000-0000-000000000001',
          VersionStages: ['AWSCURRENT'],
        });
      }
      return answer(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Credentials and region for the SDK from the environment only: no profile, no instance metadata. */
export function fakeAwsEnvironment(): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIDFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-key',
    AWS_REGION: 'eu-west-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
