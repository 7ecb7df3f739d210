/**
 * Role `nginx`: the web front of a host. nginx from Debian, the role's own nginx.conf (a default
 * server refusing unknown host names, runtime DNS resolution of upstreams), one file per site,
 * and a private CA for client certificates (nginx_pki_*).
 *
 * Every file nginx reads is checked with `nginx -t` on a copy of the whole tree before it
 * replaces the live one (TEST_SCRIPT, as the write modules' validate), and a change reloads
 * nginx: the master process, and the sessions it serves, stay.
 */
import { defineRole, type TaskInput } from '../../src/model/role.js';
import { factTask, scriptTask } from '../../src/model/role-scripts.js';
import { checkNginx, NginxParams } from './params.js';
import {
  DHPARAM_SCRIPT,
  FACTS_SCRIPT,
  OCSP_FACTS_SCRIPT,
  PKI_ARCHIVE_SCRIPT,
  PKI_FETCH_SCRIPT,
  PKI_SCRIPT,
  TEST_COMMAND,
  TEST_SCRIPT,
  TLS_LINKS_SCRIPT,
} from './scripts.js';

/** The validate argument of a file at `rel` under /etc/nginx. */
const checked = (rel: string) => `${TEST_COMMAND} %s ${rel}`;

const SITE_FILE = 'sites-enabled/bosun-{{ item.name }}.conf';
const PRESENT = 'ne (default item.state "present") "absent"';

/** Lines "cn days key_type" of the CA's clients. */
const CLIENT_LINES =
  '{{#each nginx_pki_clients}}{{ this.cn }} {{ default this.days 365 }} {{ default this.key_type "ec-p256" }}\n{{/each}}';

const tasks: TaskInput[] = [
  {
    name: 'install nginx',
    apt: {
      name: ['{{ nginx_package }}', 'openssl'],
      state: 'present',
      update_cache: true,
      cache_valid_time: 3600,
    },
  },
  factTask('find whether the host has IPv6, and its nameservers', FACTS_SCRIPT, 'nginx_facts'),
  {
    name: 'remember the host facts',
    set_fact: {
      nginx_listen_ipv6: '{{ and nginx_ipv6 (eq (lookup nginx_facts.stdout_lines 0) "yes") }}',
      nginx_resolver_line:
        '{{#if (length nginx_resolvers)}}{{#each nginx_resolvers}}{{#if @index}} {{/if}}{{ this }}{{/each}}{{else}}{{ lookup nginx_facts.stdout_lines 1 }}{{/if}}',
    },
  },
  {
    name: 'the script that checks a candidate file with nginx -t',
    copy: { content: TEST_SCRIPT, dest: TEST_COMMAND, owner: 'root', group: 'root', mode: '0755' },
  },
  {
    name: "remove Debian's default site (the role has its own default server)",
    file: { path: '/etc/nginx/sites-enabled/default', state: 'absent' },
    notify: 'reload nginx',
  },
  {
    name: 'the ACME challenge folder',
    file: {
      path: '{{ nginx_acme_webroot }}',
      state: 'directory',
      owner: 'root',
      group: 'root',
      mode: '0755',
    },
  },

  // ------------------------------------------------------------------ private CA
  scriptTask(
    'private CA: issue, revoke, CRL and bundles of client certificates',
    PKI_SCRIPT,
    'nginx_pki',
    {
      PKI_DIR: '{{ nginx_pki_dir }}',
      PKI_CA_CERT: '{{ nginx_pki_ca_cert }}',
      PKI_CA_KEY: '{{ nginx_pki_ca_key }}',
      CA_CN: '{{ nginx_pki_ca_cn }}',
      CA_DAYS: '{{ nginx_pki_ca_days }}',
      CA_KEY_TYPE: '{{ nginx_pki_ca_key_type }}',
      CRL_DAYS: '{{ nginx_pki_crl_days }}',
      CLIENTS: CLIENT_LINES,
      P12_NAMES: '{{#each nginx_pki_clients}}{{#if (defined this.passphrase)}}{{ this.cn }} {{/if}}{{/each}}',
    },
    {
      // The passphrases, one line per name of P12_NAMES; stdin never shows in argv or output.
      shell: {
        cmd: PKI_SCRIPT,
        stdin:
          '{{#each nginx_pki_clients}}{{#if (defined this.passphrase)}}{{ this.passphrase }}\n{{/if}}{{/each}}',
      },
      no_log: true,
      when: 'nginx_pki_enabled',
      notify: 'reload nginx',
    },
  ),
  {
    name: 'what the private CA did',
    debug: { msg: '{{ nginx_pki.stdout }}' },
    when: 'and nginx_pki_enabled (ne nginx_pki.stdout "")',
  },
  factTask('read the client bundles', PKI_ARCHIVE_SCRIPT, 'nginx_pki_bundles', {
    environment: {
      PKI_DIR: '{{ nginx_pki_dir }}',
      NAMES: '{{#each nginx_pki_clients}}{{ this.cn }} {{/each}}',
    },
    no_log: true,
    when: 'and nginx_pki_enabled (ne nginx_pki_fetch_dir "")',
  }),
  scriptTask(
    'fetch the client bundles to the controller',
    PKI_FETCH_SCRIPT,
    'nginx_pki_fetched',
    {
      DEST: '{{ nginx_pki_fetch_dir }}/{{ inventory_hostname }}',
      NAMES: '{{#each nginx_pki_clients}}{{ this.cn }} {{/each}}',
    },
    {
      shell: { cmd: PKI_FETCH_SCRIPT, stdin: '{{ nginx_pki_bundles.stdout }}', stdin_add_newline: false },
      delegate_to: 'localhost',
      become: false,
      no_log: true,
      when: 'and nginx_pki_enabled (ne nginx_pki_fetch_dir "")',
    },
  ),

  // ------------------------------------------------------------------ TLS material
  scriptTask(
    'point /etc/nginx/tls at the certbot lineages (self-signed until certbot has them)',
    TLS_LINKS_SCRIPT,
    'nginx_tls_links',
    {
      LINEAGES:
        '{{#each nginx_sites}}{{#if (defined this.tls)}}{{#if (defined this.tls.certbot)}}{{ this.tls.certbot }} {{/if}}{{/if}}{{/each}}',
    },
    { notify: 'reload nginx' },
  ),
  factTask('find which site certificates name an OCSP responder', OCSP_FACTS_SCRIPT, 'nginx_ocsp', {
    environment: {
      CERTS:
        '{{#each nginx_sites}}{{#if (defined this.tls)}}{{ this.name }} {{#if (defined this.tls.certbot)}}tls/{{ this.tls.certbot }}/fullchain.pem{{else}}{{ this.tls.certificate }}{{/if}}\n{{/if}}{{/each}}',
    },
  }),
  scriptTask(
    'Diffie-Hellman parameters',
    DHPARAM_SCRIPT,
    'nginx_dhparam_file',
    {},
    { when: 'nginx_dhparam' },
  ),

  // ------------------------------------------------------------------ configuration
  {
    name: 'write nginx.conf (checked with nginx -t before it replaces the old one)',
    template: {
      src: 'nginx.conf.hbs',
      dest: '/etc/nginx/nginx.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
      validate: checked('nginx.conf'),
    },
    notify: 'reload nginx',
  },
  {
    name: 'write the sites (each checked with nginx -t before it replaces the old one)',
    template: {
      src: 'site.conf.hbs',
      dest: `/etc/nginx/${SITE_FILE}`,
      owner: 'root',
      group: 'root',
      mode: '0644',
      validate: checked(SITE_FILE),
    },
    loop: '{{ nginx_sites }}',
    when: PRESENT,
    notify: 'reload nginx',
  },
  {
    name: 'remove the sites marked absent',
    file: { path: `/etc/nginx/${SITE_FILE}`, state: 'absent' },
    loop: '{{ nginx_sites }}',
    when: `not (${PRESENT})`,
    notify: 'reload nginx',
  },
  {
    name: 'run nginx',
    service: { name: 'nginx', state: 'started', enabled: true },
  },
];

const handlers: TaskInput[] = [
  // reload: the master re-reads its files and starts new workers; its pid and listening sockets stay.
  { name: 'reload nginx', command: { cmd: 'systemctl reload nginx' } },
];

export default defineRole({
  name: 'nginx',
  description: [
    'nginx from Debian with typed sites: server names, HTTP/HTTPS ports (IPv4, and IPv6 when the host',
    'has it), a static root, reverse-proxy locations (proxy headers, timeouts, WebSocket upgrade, upload',
    'size), logs and gzip; TLS per site (certificate paths or a certbot lineage, Mozilla intermediate',
    'protocols and ciphers, OCSP stapling, HSTS, HTTP to HTTPS redirect, DH parameters when asked);',
    'client certificate authentication per site or location, with the verified DN and serial passed to',
    'the upstream; a default server that refuses unknown host names (444, TLS handshake refused); and',
    'a private CA (`nginx_pki_*`) that issues client certificates, revokes those removed from the list',
    'into the CRL nginx reads, and bundles them as PKCS#12.',
  ].join('\n'),
  schema: NginxParams,
  check: (params) => checkNginx(params as Partial<NginxParams>),
  tasks,
  handlers,
  readme: [
    {
      title: 'Upstreams that are down or not in DNS yet',
      markdown: [
        'nginx resolves a `proxy_pass host:port` when it loads its configuration and refuses to start',
        'if the name does not resolve. The role writes `set $bosun_upstream http://host:port;',
        'proxy_pass $bosun_upstream;` instead, with `resolver` (`nginx_resolvers`, by default the',
        'nameservers of /etc/resolv.conf) in nginx.conf: the name is resolved when a request comes,',
        'cached 30 s. nginx starts and reloads while an upstream is down or unknown; such a request',
        'gets 502. As with any `proxy_pass` holding a variable, the request URI goes to the upstream',
        'unchanged, so `proxy_pass` takes no path.',
      ].join('\n'),
    },
    {
      title: 'A bad configuration never goes live',
      markdown: [
        'nginx.conf includes relative paths (`include sites-enabled/*;`). Before a file replaces its',
        'live version, `/usr/local/sbin/bosun-nginx-test` copies /etc/nginx to a temporary folder,',
        'puts the candidate in the copy and runs `nginx -t -c <copy>/nginx.conf`: the whole',
        'configuration is checked with the new file, and the live tree is not touched. When nginx',
        "refuses it, the old file stays, the task fails with nginx's own message, and nginx keeps",
        'running the old configuration. Changes reload nginx (`systemctl reload nginx`), never',
        'restart it: the master process and its pid stay.',
      ].join('\n'),
    },
    {
      title: 'Client certificates',
      markdown: [
        'With `nginx_pki_enabled`, the role keeps a CA in `nginx_pki_dir` (created with',
        '`nginx_pki_ca_cn`, or a given `nginx_pki_ca_cert`/`nginx_pki_ca_key`), issues a certificate',
        'per entry of `nginx_pki_clients` (`<dir>/clients/<cn>.crt` and `.key`, and `.p12` when the',
        'entry has a passphrase), and revokes the certificate of an entry removed from the list: it',
        'goes into `<dir>/crl.pem` and nginx is reloaded. A site with `client_auth: {}` uses that CA',
        'and CRL; `client_auth.verify: optional` and `client_cert: true` on a location limit the',
        'check to that location (403 without a verified certificate). Upstreams get the verified',
        'subject DN and serial in `dn_header` and `serial_header`, which nginx always sets, so a',
        'client cannot forge them. Keys are written by openssl on the host, never printed; the',
        'passphrases go to openssl on stdin and the task runs with no_log.',
      ].join('\n'),
    },
  ],
});
