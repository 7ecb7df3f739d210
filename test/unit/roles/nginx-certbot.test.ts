import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import certbotRole, { CertbotParams, EAB_CONFIG, LE_STAGING } from '../../../roles/certbot/index.js';
import {
  NGINX_HOOK_COMMAND,
  NGINX_HOOK_SCRIPT,
  OBTAIN_SCRIPT,
  STANDALONE_POST_HOOK,
  STANDALONE_PRE_HOOK,
} from '../../../roles/certbot/scripts.js';
import nginxRole from '../../../roles/nginx/index.js';
import { NginxParams } from '../../../roles/nginx/params.js';
import { OCSP_FACTS_SCRIPT } from '../../../roles/nginx/scripts.js';
import { packageRolesDir } from '../../../src/model/role-loader.js';
import { CHANGED_RC } from '../../../src/model/role-scripts.js';
import { VarScope } from '../../../src/vars/scope.js';
import { renderTemplateFile, renderValue } from '../../../src/vars/template.js';
import { selfSignedArgs } from '../../support/openssl-args.js';
import { loadWithParams, paramsError } from './role-params.js';

describe('role nginx: parameters', () => {
  it('accepts sites with TLS, client certificates, proxies and the private CA', async () => {
    const params = [
      'nginx_pki_enabled: true',
      'nginx_pki_clients: [{cn: alice, passphrase: secret-pass}, {cn: bob, key_type: rsa2048, days: 30}]',
      'nginx_sites:',
      '  - name: app',
      '    server_names: [app.example.com]',
      '    tls: {certbot: app, hsts: true}',
      '    client_auth: {verify: optional, dn_header: X-Client-DN}',
      '    locations:',
      '      - {path: /, proxy_pass: "http://app:8080", websocket: true, read_timeout: 30}',
      '      - {path: /admin/, proxy_pass: "http://[::1]:9000", client_cert: true}',
      '  - {name: static, server_names: [www.example.com], root: /srv/www}',
    ].join('\n');
    await expect(loadWithParams('nginx', params)).resolves.toBeDefined();
  });

  it.each([
    [
      'two sites with one name',
      'nginx_sites: [{name: a, server_names: [a.test]}, {name: a, server_names: [b.test]}]',
      'nginx_sites[1].name: "a" is already nginx_sites[0]',
    ],
    [
      'TLS with a certificate and no key',
      'nginx_sites: [{name: a, server_names: [a.test], tls: {certificate: /etc/ssl/a.pem}}]',
      'nginx_sites[0].tls: certificate and key go together',
    ],
    [
      'TLS from paths and certbot at once',
      'nginx_sites: [{name: a, server_names: [a.test], tls: {certbot: a, certificate: /a, key: /b}}]',
      'nginx_sites[0].tls: give certificate and key, or certbot',
    ],
    [
      'client certificates without TLS',
      'nginx_sites: [{name: a, server_names: [a.test], client_auth: {ca: /etc/ca.pem}}]',
      'nginx_sites[0].client_auth: client certificates need tls',
    ],
    [
      "the role's CA when it is not enabled",
      'nginx_sites: [{name: a, server_names: [a.test], tls: {certbot: a}, client_auth: {}}]',
      'nginx_sites[0].client_auth.ca: give a CA bundle, or enable nginx_pki_enabled for the role CA',
    ],
    [
      'a location needing a certificate on a site that requires one everywhere',
      'nginx_sites: [{name: a, server_names: [a.test], tls: {certbot: a}, client_auth: {ca: /c}, locations: [{path: /, client_cert: true}]}]',
      'nginx_sites[0].locations[0].client_cert: client_cert on a location needs the site client_auth with verify: optional',
    ],
    [
      'a proxy with a path',
      'nginx_sites: [{name: a, server_names: [a.test], locations: [{path: /, proxy_pass: "http://app:8080/x"}]}]',
      'proxy_pass: must be http(s)://host or http(s)://host:port, without a path',
    ],
    [
      'a header name with a space',
      'nginx_sites: [{name: a, server_names: [a.test], tls: {certbot: a}, client_auth: {ca: /c, dn_header: "X DN"}}]',
      'dn_header: must be an HTTP header name',
    ],
    [
      'two clients with one name',
      'nginx_pki_clients: [{cn: alice}, {cn: alice}]',
      'nginx_pki_clients[1].cn: "alice" is already nginx_pki_clients[0]',
    ],
    [
      'a directive that opens a block',
      'nginx_sites: [{name: a, server_names: [a.test], directives: ["location / {"]}]',
      'must be one directive without its ";"',
    ],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('nginx', params)).toContain(message);
  });
});

describe('role certbot: parameters', () => {
  it("has Let's Encrypt by webroot as defaults", async () => {
    const playbook = await loadWithParams('certbot', '{}');
    expect(playbook.plays[0]!.roles[0]!.role.defaults).toMatchObject({
      certbot_method: 'webroot',
      certbot_server: 'https://acme-v02.api.letsencrypt.org/directory',
      certbot_staging: false,
      certbot_renew_timer: true,
    });
  });

  it.each([
    [
      'an EAB key id without its HMAC key',
      'certbot_eab_kid: kid-1',
      'certbot_eab_hmac_key: certbot_eab_kid and certbot_eab_hmac_key go together',
    ],
    [
      'two certificates with one name',
      'certbot_certificates: [{name: a, domains: [a.test]}, {name: a, domains: [b.test]}]',
      'certbot_certificates[1].name: "a" is already certbot_certificates[0]',
    ],
    ['a server that is not https', 'certbot_server: "http://acme.test/dir"', 'must be an https:// URL'],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('certbot', params)).toContain(message);
  });
});

const certbotTask = (name: string) => {
  const found = certbotRole.tasks.find((t) => t.name === name);
  if (!found) throw new Error(`no task "${name}"`);
  return found;
};

function certbotScope(values: Record<string, unknown>): VarScope {
  return VarScope.from([
    {
      layer: 'role defaults',
      source: 'certbot defaults',
      values: Value.Default(CertbotParams, {}) as Record<string, unknown>,
    },
    { layer: 'facts', source: 'test', values: { ansible_check_mode: false, ...values } },
  ]);
}

const WHERE = { file: 'index.ts', line: 1, column: 1 };
const OBTAIN = 'obtain the certificates that are missing, name other domains or come from another server';

/** The environment the obtain task gives its script for one certificate. */
function obtainEnv(values: Record<string, unknown>, item: object): Record<string, string> {
  return renderValue(certbotTask(OBTAIN).environment, certbotScope({ ...values, item }), WHERE) as Record<
    string,
    string
  >;
}

describe('role certbot: the certbot command', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-certbot-unit-'));
    // certbot stands in: it records its argv, one argument a line.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'certbot'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\n`, {
      mode: 0o755,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The script run here with the task's environment: its exit status and certbot's argv ([] when not run). */
  function obtain(env: Record<string, string>): { rc: number; argv: string[]; out: string } {
    rmSync(join(dir, 'argv'), { force: true });
    const result = spawnSync('sh', ['-c', OBTAIN_SCRIPT], {
      env: { ...env, LE_DIR: join(dir, 'le'), PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
    });
    const argv = existsSync(join(dir, 'argv')) ? readFileSync(join(dir, 'argv'), 'utf8').split('\n') : [];
    return { rc: result.status ?? -1, argv: argv.filter(Boolean), out: result.stdout.toString() };
  }

  /** A lineage `name` for `domains` obtained from `server`, as certbot leaves it. */
  function lineage(name: string, domains: string[], server: string) {
    mkdirSync(join(dir, 'le', 'live', name), { recursive: true });
    mkdirSync(join(dir, 'le', 'renewal'), { recursive: true });
    const live = join(dir, 'le', 'live', name);
    execFileSync(
      'openssl',
      selfSignedArgs(`/CN=${domains[0]}`, join(live, 'privkey.pem'), join(live, 'cert.pem'), [
        `subjectAltName=${domains.map((d) => `DNS:${d}`).join(',')}`,
      ]),
    );
    writeFileSync(
      join(dir, 'le', 'renewal', `${name}.conf`),
      `version = 2.1.0\n[renewalparams]\nserver = ${server}\n`,
    );
  }

  const item = { name: 'web', domains: ['web.test', 'www.web.test'] };
  const PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

  it('staging: the certificate comes from the staging server, whatever certbot_server says', () => {
    expect(obtainEnv({}, item).SERVER).toBe(PRODUCTION);
    expect(obtainEnv({ certbot_staging: true }, item).SERVER).toBe(LE_STAGING);
    expect(obtainEnv({ certbot_staging: true, certbot_server: 'https://acme.test/dir' }, item).SERVER).toBe(
      LE_STAGING,
    );
    const { rc, argv } = obtain(obtainEnv({ certbot_staging: true }, { ...item, name: 'fresh' }));
    expect(rc).toBe(CHANGED_RC);
    expect(argv.slice(argv.indexOf('--server'), argv.indexOf('--server') + 2)).toEqual([
      '--server',
      LE_STAGING,
    ]);
  });

  it('staging toggled: a lineage from the other server is replaced, one from the same is left alone', () => {
    lineage('web', item.domains, LE_STAGING);
    const staging = obtain(obtainEnv({ certbot_staging: true }, item));
    expect(staging).toEqual({ rc: 0, argv: [], out: '' });
    const production = obtain(obtainEnv({}, item));
    expect(production.rc).toBe(CHANGED_RC);
    expect(production.out).toBe(`replace the certificate web from ${LE_STAGING} by one from ${PRODUCTION}\n`);
    expect(production.argv).toContain('--force-renewal');
    expect(production.argv.slice(production.argv.indexOf('--server'))[1]).toBe(PRODUCTION);
    // Check mode says so and runs nothing.
    const check = obtain({ ...obtainEnv({}, item), BOSUN_CHECK: 'true' });
    expect(check.rc).toBe(CHANGED_RC);
    expect(check.argv).toEqual([]);
    // Other domains: obtained again (expanded) without forcing.
    const more = obtain(obtainEnv({ certbot_staging: true }, { ...item, domains: ['web.test'] }));
    expect(more.rc).toBe(CHANGED_RC);
    expect(more.argv).not.toContain('--force-renewal');
  });

  it('external account binding: certbot reads the key from the root-only file, never from argv', () => {
    const hmac = 'c2VjcmV0LWhtYWMta2V5LW9mLWVhYg';
    const values = { certbot_eab_kid: 'kid-7', certbot_eab_hmac_key: hmac };
    const file = certbotTask('external account binding (root only)');
    expect(file.no_log).toBe(true);
    const copy = renderValue(file.copy, certbotScope(values), WHERE) as Record<string, string>;
    expect(copy).toMatchObject({ dest: EAB_CONFIG, mode: '0600', owner: 'root' });
    expect(copy.content).toContain(`eab-kid = kid-7\neab-hmac-key = ${hmac}\n`);
    const env = obtainEnv(values, { ...item, name: 'eab' });
    expect(JSON.stringify(env)).not.toContain(hmac);
    const { argv } = obtain(env);
    expect(argv.slice(argv.indexOf('--config'))[1]).toBe(EAB_CONFIG);
    expect(argv.join(' ')).not.toContain(hmac);
    expect(obtain(obtainEnv({}, { ...item, name: 'no-eab' })).argv).not.toContain('--config');
  });

  it('standalone: nginx is stopped around the challenge when the role manages it, not otherwise', () => {
    const standalone = { ...item, name: 'solo', method: 'standalone' };
    const { argv } = obtain(obtainEnv({}, standalone));
    expect(argv).toContain('--standalone');
    expect(argv).not.toContain('--webroot');
    expect(argv.slice(argv.indexOf('--pre-hook'))[1]).toBe(STANDALONE_PRE_HOOK);
    expect(argv.slice(argv.indexOf('--post-hook'))[1]).toBe(STANDALONE_POST_HOOK);
    // certbot runs a hook only when its first word is a program: the role's script.
    expect(STANDALONE_PRE_HOOK).toBe(`${NGINX_HOOK_COMMAND} stop`);
    expect(STANDALONE_POST_HOOK).toBe(`${NGINX_HOOK_COMMAND} start`);
    expect(certbotTask('hook that takes nginx off port 80 for a standalone challenge').copy).toMatchObject({
      content: NGINX_HOOK_SCRIPT,
      dest: NGINX_HOOK_COMMAND,
      mode: '0755',
    });
    expect(NGINX_HOOK_SCRIPT).toMatch(
      /stop\) if systemctl is-active --quiet nginx; then systemctl stop nginx/,
    );
    expect(spawnSync('sh', ['-n'], { input: NGINX_HOOK_SCRIPT }).status).toBe(0);
    expect(obtain(obtainEnv({ certbot_nginx: false }, standalone)).argv).not.toContain('--pre-hook');
    const webroot = obtain(
      obtainEnv({ certbot_method: 'standalone' }, { ...item, name: 'w', method: 'webroot' }),
    );
    expect(webroot.argv).toContain('--webroot');
    expect(webroot.argv).not.toContain('--pre-hook');
  });
});

function nginxRender(template: string, values: Record<string, unknown>): string {
  const file = join(packageRolesDir(), 'nginx', 'templates', template);
  const scope = VarScope.from([
    {
      layer: 'role defaults',
      source: 'nginx defaults',
      values: Value.Default(NginxParams, {}) as Record<string, unknown>,
    },
    {
      layer: 'facts',
      source: 'test',
      values: {
        ansible_check_mode: false,
        nginx_listen_ipv6: false,
        nginx_resolver_line: '127.0.0.11',
        nginx_ocsp: { stdout_lines: [] },
        ...values,
      },
    },
  ]);
  return renderTemplateFile(readFileSync(file, 'utf8'), scope, file);
}

describe('role nginx: OCSP stapling and DH parameters', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-nginx-unit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A self-signed certificate in dir/<name>.pem, with more -addext options. */
  function certificate(name: string, ...ext: string[]): string {
    const out = join(dir, `${name}.pem`);
    execFileSync('openssl', selfSignedArgs(`/CN=${name}.test`, join(dir, `${name}.key`), out, ext));
    return out;
  }

  it('finds the sites whose certificate names an OCSP responder', () => {
    const withOcsp = certificate('with', 'authorityInfoAccess=OCSP;URI:http://ocsp.test/');
    const without = certificate('without');
    const out = execFileSync('sh', ['-c', OCSP_FACTS_SCRIPT], {
      env: {
        PATH: process.env.PATH,
        CERTS: `a ${withOcsp}\nb ${without}\nc ${join(dir, 'missing.pem')}\nd tls/not-there/fullchain.pem\n`,
      },
    }).toString();
    expect(out).toBe('a\n');
  });

  it('passes every TLS site and its certificate (a certbot lineage through /etc/nginx/tls) to that script', () => {
    const task = nginxRole.tasks.find(
      (t) => t.name === 'find which site certificates name an OCSP responder',
    );
    const env = renderValue(
      task?.environment,
      VarScope.from([
        {
          layer: 'facts',
          source: 'test',
          values: {
            nginx_sites: [
              { name: 'a', server_names: ['a.test'], tls: { certificate: '/etc/ssl/a.pem', key: '/k' } },
              { name: 'b', server_names: ['b.test'] },
              { name: 'c', server_names: ['c.test'], tls: { certbot: 'lineage' } },
            ],
          },
        },
      ]),
      WHERE,
    ) as Record<string, string>;
    expect(env.CERTS).toBe('a /etc/ssl/a.pem\nc tls/lineage/fullchain.pem\n');
  });

  it('staples only for a certificate with an OCSP responder, and not when the site turns it off', () => {
    const site = (tls: object) => ({ name: 'a', server_names: ['a.test'], tls: { certbot: 'a', ...tls } });
    const stapled = nginxRender('site.conf.hbs', {
      item: site({}),
      nginx_ocsp: { stdout_lines: ['b', 'a'] },
    });
    expect(stapled).toContain('    ssl_stapling on;\n    ssl_stapling_verify on;\n');
    expect(
      nginxRender('site.conf.hbs', { item: site({}), nginx_ocsp: { stdout_lines: ['b'] } }),
    ).not.toContain('ssl_stapling');
    expect(
      nginxRender('site.conf.hbs', {
        item: site({ ocsp_stapling: false }),
        nginx_ocsp: { stdout_lines: ['a'] },
      }),
    ).not.toContain('ssl_stapling');
  });

  it('DH parameters: nginx.conf names the file only when asked', () => {
    expect(nginxRender('nginx.conf.hbs', {})).not.toContain('dhparam');
    expect(nginxRender('nginx.conf.hbs', { nginx_dhparam: true })).toContain(
      '    ssl_dhparam dhparam.pem;\n',
    );
    const task = nginxRole.tasks.find((t) => t.name === 'Diffie-Hellman parameters');
    expect(task?.when).toBe('nginx_dhparam');
  });
});
