/**
 * Secret lookups: the template helpers `ssm NAME` (an SSM parameter, SecureString decrypted)
 * and `aws_secret ID` (a Secrets Manager secret; `key=K` picks a field of a JSON secret).
 *
 * Templates render synchronously and a lookup is a network call, so a render never waits: the
 * helper answers from the run's cache, and a value not fetched yet stops the render with a
 * pending lookup. The engine then fetches it and renders again (`Lookups.retrying`); a render
 * is pure, so rendering twice gives what one render with the value would. Each value is
 * fetched once per run, and is a secret of the run. A failure names the parameter and the
 * AWS error code, and is given again to every render that needs the value.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BosunError, isBosunError } from '../errors.js';
import type { Secrets } from './secrets.js';

export type LookupService = 'ssm' | 'secretsmanager';

export interface LookupCall {
  service: LookupService;
  /** The parameter name, or the secret's id or ARN. */
  name: string;
  region?: string | undefined;
}

/** Fetches one value; throws an error carrying the AWS error code as `code`. */
export type LookupFetcher = (call: LookupCall) => Promise<string>;

/** How many values one render may fetch before it is given up as looping. */
const MAX_FETCHES_PER_RENDER = 100;

export function describeLookup(call: LookupCall): string {
  const what = call.service === 'ssm' ? 'SSM parameter' : 'Secrets Manager secret';
  return `${what} "${call.name}"${call.region === undefined ? '' : ` (region ${call.region})`}`;
}

/** The lookup a render stopped at, if `error` is one (it may have been rewrapped on its way out). */
export function pendingLookup(error: unknown): LookupCall | undefined {
  if (!isBosunError(error, 'BOSUN_LOOKUP')) return undefined;
  return error.details?.pending as LookupCall | undefined;
}

function keyOf(call: LookupCall): string {
  return JSON.stringify([call.service, call.region ?? '', call.name]);
}

export class Lookups {
  private readonly values = new Map<string, string>();
  private readonly failures = new Map<string, BosunError>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Values fetched (not answers from the cache), for reports and tests. */
  fetched = 0;

  constructor(
    private readonly fetcher: LookupFetcher,
    private readonly secrets: Secrets,
  ) {}

  /** The value, from the cache; throws the failure, or a pending lookup when not fetched yet. */
  value(call: LookupCall): string {
    const key = keyOf(call);
    const value = this.values.get(key);
    if (value !== undefined) return value;
    const failure = this.failures.get(key);
    if (failure) throw failure;
    throw new BosunError('BOSUN_LOOKUP', `${describeLookup(call)} is not fetched yet`, {
      details: { pending: call },
    });
  }

  /** Fetch once (concurrent renders on several hosts share one call). */
  fetch(call: LookupCall): Promise<void> {
    const key = keyOf(call);
    if (this.values.has(key) || this.failures.has(key)) return Promise.resolve();
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.fetchNow(key, call).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  /** `render` again after fetching each lookup it stops at. */
  async retrying<T>(render: () => T | Promise<T>): Promise<T> {
    for (let fetches = 0; ; fetches++) {
      try {
        return await render();
      } catch (error) {
        const call = pendingLookup(error);
        if (!call || fetches >= MAX_FETCHES_PER_RENDER) throw error;
        await this.fetch(call);
      }
    }
  }

  private async fetchNow(key: string, call: LookupCall): Promise<void> {
    this.fetched += 1;
    try {
      const value = await this.fetcher(call);
      this.secrets.add(value);
      // A JSON secret's fields are secrets too (aws_secret ID key=K prints one alone).
      this.secrets.add(jsonValues(value));
      this.values.set(key, value);
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      const why = cause instanceof Error ? cause.message : String(cause);
      this.failures.set(
        key,
        new BosunError(
          'BOSUN_LOOKUP',
          `${describeLookup(call)}: ${typeof code === 'string' ? `${code}: ` : ''}${why}`,
          { cause, details: { lookup: call, ...(typeof code === 'string' ? { awsCode: code } : {}) } },
        ),
      );
    }
  }
}

function jsonValues(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Lookups through the AWS SDK (loaded on the first lookup only: most runs make none).
 * `endpoint` sends them elsewhere than AWS (a local stand-in).
 */
export function awsLookupFetcher(endpoint?: string): LookupFetcher {
  return async (call) => {
    const aws = await import('../vendor/aws-secrets.js');
    const options = { region: call.region, endpoint };
    return call.service === 'ssm'
      ? aws.getSsmParameter(call.name, options)
      : aws.getSecretValue(call.name, options);
  };
}

const current = new AsyncLocalStorage<Lookups>();

/** Run `body` with `lookups` answering the lookup helpers of every render inside it. */
export function withLookups<T>(lookups: Lookups, body: () => T): T {
  return current.run(lookups, body);
}

/** The lookups of the run this render belongs to. */
export function currentLookups(): Lookups | undefined {
  return current.getStore();
}
