import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { parseJumpSpec } from '../../../src/transport/ssh/jump-spec.js';
import { type Route, type RouteEnvironment, resolveRoute } from '../../../src/transport/ssh/route.js';
import { loadSshConfig, parseSshConfig } from '../../../src/transport/ssh/ssh-config.js';

const home = join(import.meta.dirname, '../../fixtures/ssh/home');
const config = loadSshConfig(join(home, '.ssh/config'), home)!;
const env: RouteEnvironment = { home, localUser: 'me', agentSocket: '/run/agent.sock', config };
const bare: RouteEnvironment = { home, localUser: 'me' };

const ids = (route: Route) => route.hops.map((hop) => hop.id);

describe('routes without ssh config', () => {
  it('dials the host directly with defaults', () => {
    const route = resolveRoute({ host: 'h1' }, bare);
    expect(ids(route)).toEqual(['me@h1:22']);
    expect(route.target).toBe('h1');
    expect(route.settings).toMatchObject({
      knownHostsFiles: [join(home, '.ssh/known_hosts')],
      trustNewHostKeys: false,
      connectTimeout: 10_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
    });
    // No key given: the default key files, all optional.
    expect(route.hops[0]!.keys.map((k) => [k.label, k.required])).toEqual([
      [join(home, '.ssh/id_ed25519'), false],
      [join(home, '.ssh/id_ecdsa'), false],
      [join(home, '.ssh/id_rsa'), false],
    ]);
  });

  it('chains bastions in order, keyed by the chain leading to each hop', () => {
    const route = resolveRoute(
      {
        name: 'web1',
        host: 'host1',
        user: 'bosun',
        privateKeyPath: '~/k',
        bastions: parseJumpSpec('bosun@127.0.0.1:40123,bastion2'),
      },
      bare,
    );
    expect(ids(route)).toEqual(['bosun@127.0.0.1:40123', 'me@bastion2:22', 'bosun@host1:22']);
    expect(route.hops.map((hop) => hop.key)).toEqual([
      'bosun@127.0.0.1:40123',
      'bosun@127.0.0.1:40123 > me@bastion2:22',
      'bosun@127.0.0.1:40123 > me@bastion2:22 > bosun@host1:22',
    ]);
    expect(route.hops.map((hop) => hop.description.via)).toEqual([
      undefined,
      'bosun@127.0.0.1:40123',
      'me@bastion2:22',
    ]);
    expect(route.hops[0]!.description).toMatchObject({ role: 'bastion', index: 1, total: 2 });
    expect(route.hops[2]!.description.role).toBe('target');
    expect(route.target).toBe('web1');
  });

  it("lends the target's key to bastions without one, but never its password", () => {
    const route = resolveRoute(
      {
        host: 'h',
        privateKeyPath: '/k/id',
        passphrase: 'pp',
        password: 'secret',
        bastions: [{ host: 'b1' }, { host: 'b2', privateKeyPath: '/k/b2' }],
      },
      bare,
    );
    const [b1, b2, h] = route.hops;
    expect(b1!.keys).toEqual([{ label: '/k/id', path: '/k/id', passphrase: 'pp', required: true }]);
    expect(b1!.password).toBeUndefined();
    expect(b2!.keys.map((k) => k.path)).toEqual(['/k/b2']);
    expect(h!.password).toBe('secret');
  });

  it('uses SSH_AUTH_SOCK unless the agent is disabled or named', () => {
    expect(resolveRoute({ host: 'h' }, env).hops[0]!.agent).toBe('/run/agent.sock');
    expect(resolveRoute({ host: 'h', agent: false }, env).hops[0]!.agent).toBeUndefined();
    expect(resolveRoute({ host: 'h', agent: '/other' }, env).hops[0]!.agent).toBe('/other');
    expect(resolveRoute({ host: 'h' }, bare).hops[0]!.agent).toBeUndefined();
  });

  it('takes an inline key as required', () => {
    const hop = resolveRoute({ host: 'h', privateKey: 'KEY' }, bare).hops[0]!;
    expect(hop.keys).toEqual([{ label: 'inline key', data: 'KEY', passphrase: undefined, required: true }]);
  });
});

describe('routes with ssh config', () => {
  it('applies HostName, User, Port and IdentityFile of the alias', () => {
    const hop = resolveRoute({ host: 'web9' }, env).hops[0]!;
    expect(hop).toMatchObject({
      host: '10.9.9.9',
      port: 2200,
      user: 'fallback',
      id: 'fallback@10.9.9.9:2200',
    });
    expect(hop.keys.map((k) => [k.path, k.required])).toEqual([[join(home, '.ssh/id_default'), false]]);
  });

  it('lets explicit options win over the config', () => {
    const hop = resolveRoute({ host: 'web9', port: 22, user: 'root', privateKeyPath: '/k' }, env).hops[0]!;
    expect(hop.id).toBe('root@10.9.9.9:22');
    expect(hop.keys.map((k) => k.path)).toEqual(['/k']);
  });

  it('follows ProxyJump recursively: the first jump host through its own ProxyJump', () => {
    const route = resolveRoute({ host: 'db-main' }, env);
    expect(ids(route)).toEqual([
      'fallback@outer.example:22',
      'hopper@jump1.example:2201',
      'fallback@jump2:2022',
      'dba@db-main:22',
    ]);
  });

  it('prefers explicit bastions (even none) over ProxyJump', () => {
    expect(ids(resolveRoute({ host: 'db-main', bastions: [] }, env))).toEqual(['dba@db-main:22']);
    // Bastions given explicitly still get their own config values.
    expect(ids(resolveRoute({ host: 'db-main', bastions: [{ host: 'jump1' }] }, env))).toEqual([
      'hopper@jump1.example:2201',
      'dba@db-main:22',
    ]);
  });

  it('refuses a ProxyJump loop', () => {
    let error: unknown;
    try {
      resolveRoute({ host: 'loop-a' }, env);
    } catch (e) {
      error = e;
    }
    expect(isBosunError(error, 'BOSUN_SSH_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/ProxyJump loop: loop-a -> loop-b -> loop-a/);
  });

  it('refuses ProxyCommand, which bosun cannot run', () => {
    expect(() => resolveRoute({ host: 'legacy' }, env)).toThrow(/ProxyCommand .* ProxyJump only/);
  });

  it('resolves a config written by another tool the same way ssh would (lab ssh_config shape)', () => {
    const lab = parseSshConfig(
      [
        'Host bastion1',
        '  HostName 127.0.0.1',
        '  Port 40123',
        '',
        'Host host1 host2',
        '  ProxyJump bastion1',
        '',
        'Host *',
        '  User bosun',
        '  IdentityFile "/lab/id_ed25519"',
      ].join('\n'),
    );
    const route = resolveRoute({ host: 'host2' }, { ...bare, config: lab });
    expect(ids(route)).toEqual(['bosun@127.0.0.1:40123', 'bosun@host2:22']);
    expect(route.hops.every((hop) => hop.keys[0]?.path === '/lab/id_ed25519')).toBe(true);
  });
});
