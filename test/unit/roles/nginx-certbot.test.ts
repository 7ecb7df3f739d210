import { describe, expect, it } from 'vitest';
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
