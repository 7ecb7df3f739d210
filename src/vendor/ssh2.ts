/**
 * The one door to ssh2: the SSH transport imports only from here, so the library can be
 * swapped or patched in one place. ssh2 is CommonJS whose exports Node cannot name
 * statically, so the values come from the default import.
 */

import type { ClientChannel } from 'ssh2';
import ssh2 from 'ssh2';

export type {
  AnyAuthMethod,
  AuthenticationType,
  AuthHandlerMiddleware,
  ClientChannel,
  ClientErrorExtensions,
  ConnectConfig,
  KeyboardInteractiveCallback,
  ParsedKey,
  Prompt,
  ServerHostKeyAlgorithm,
} from 'ssh2';

export const Client = ssh2.Client;
export type Client = InstanceType<typeof ssh2.Client>;
export const utils = ssh2.utils;

interface ChannelInternals {
  outgoing?: { state: string; id: number };
  _client?: { _protocol?: { signal(id: number, name: string): void } };
}

/**
 * Send a signal request on a session channel. ssh2's `channel.signal()` is silently dropped
 * once our side has sent EOF (stdin ended), although the channel is still open and OpenSSH
 * still honours the request, so this goes to the protocol layer directly.
 */
export function signalChannel(channel: ClientChannel, signal: string): void {
  const internals = channel as unknown as ChannelInternals;
  const state = internals.outgoing?.state;
  if (internals.outgoing && (state === 'open' || state === 'eof')) {
    internals._client?._protocol?.signal(internals.outgoing.id, signal);
  }
}
