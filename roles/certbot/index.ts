/**
 * Role `certbot`: certificates from an ACME server (Let's Encrypt, or any ACME CA such as a
 * company's or a test's), by webroot (nginx serves the challenge folder) or standalone, kept
 * renewed by Debian's certbot.timer, with a deploy hook that reloads nginx.
 *
 * A lineage is requested only when it is missing or its names differ from the ones asked: a
 * second run asks the ACME server nothing. The EAB HMAC key goes in a root-only config file,
 * never in argv.
 */
import { type Static, Type } from '@sinclair/typebox';
import { defineRole, duplicateIssues, type RoleParamIssue, type TaskInput } from '../../src/model/role.js';
import { CHANGED_RC, scriptTask } from '../../src/model/role-scripts.js';
import { ABS_PATH, ABS_PATH_MESSAGE, NAME, NAME_MESSAGE } from '../nginx/params.js';
import { TLS_LINKS_SCRIPT } from '../nginx/scripts.js';
import {
  DEPLOY_HOOK,
  LETSENCRYPT,
  NGINX_HOOK_COMMAND,
  NGINX_HOOK_SCRIPT,
  OBTAIN_SCRIPT,
  STANDALONE_POST_HOOK,
  STANDALONE_PRE_HOOK,
} from './scripts.js';

export const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
export const EAB_CONFIG = `${LETSENCRYPT}/bosun-eab.ini`;

const CertbotCertificate = Type.Object(
  {
    name: Type.String({
      pattern: NAME,
      errorMessage: NAME_MESSAGE,
      description:
        "The lineage (--cert-name): /etc/letsencrypt/live/<name>/; an nginx site's tls.certbot names it.",
    }),
    domains: Type.Array(
      Type.String({ pattern: '^[A-Za-z0-9*_.-]+$', errorMessage: 'must be a domain name' }),
      { minItems: 1, description: 'Names of the certificate, the first one its subject.' },
    ),
    method: Type.Optional(
      Type.Union([Type.Literal('webroot'), Type.Literal('standalone')], {
        description: 'How the challenge is answered; default certbot_method.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CertbotParams = Type.Object(
  {
    certbot_certificates: Type.Array(CertbotCertificate, {
      default: [],
      description: 'Certificates to obtain.',
    }),
    certbot_method: Type.Union([Type.Literal('webroot'), Type.Literal('standalone')], {
      default: 'webroot',
      description:
        'webroot: files in certbot_webroot, served by nginx (nginx_acme_webroot); standalone: certbot listens on port 80 itself; with certbot_nginx, nginx is stopped for the challenge and started again (also at renewals), so it serves nothing for those seconds.',
    }),
    certbot_webroot: Type.String({
      pattern: ABS_PATH,
      errorMessage: ABS_PATH_MESSAGE,
      default: '/var/www/letsencrypt',
      description: 'The challenge folder of webroot (the nginx role serves it on every site).',
    }),
    certbot_email: Type.String({
      pattern: '^$|^[^\\s@]+@[^\\s@]+$',
      errorMessage: 'must be an e-mail address or ""',
      default: '',
      description: 'Account e-mail (expiry notices); "" registers without one.',
    }),
    certbot_server: Type.String({
      pattern: '^https://[^\\s]+$',
      errorMessage: 'must be an https:// URL',
      default: 'https://acme-v02.api.letsencrypt.org/directory',
      description: 'ACME directory URL.',
    }),
    certbot_staging: Type.Boolean({
      default: false,
      description: `Use Let's Encrypt's staging server (${LE_STAGING}) instead of certbot_server. Switching it (or certbot_server) replaces the certificates obtained from the other server on the next run.`,
    }),
    certbot_server_ca: Type.String({
      pattern: `^$|${ABS_PATH}`,
      errorMessage: `"" or ${ABS_PATH_MESSAGE}`,
      default: '',
      description:
        "CA bundle on the host that the ACME server's HTTPS certificate chains to (a private ACME CA); also given to certbot.timer's renewals. \"\": the system's.",
    }),
    certbot_eab_kid: Type.String({
      pattern: '^[^\\s]*$',
      errorMessage: 'must have no spaces',
      default: '',
      description: 'External account binding key id (ACME CAs that require one); "" for none.',
    }),
    certbot_eab_hmac_key: Type.String({
      pattern: '^[^\\s]*$',
      errorMessage: 'must have no spaces',
      default: '',
      description: `External account binding HMAC key (a secret: keep it in an encrypted vars file). Written to ${EAB_CONFIG} (0600), never in argv.`,
    }),
    certbot_key_type: Type.Union([Type.Literal('ecdsa'), Type.Literal('rsa')], {
      default: 'ecdsa',
      description: 'Key type of new certificates.',
    }),
    certbot_renew_timer: Type.Boolean({
      default: true,
      description: "Keep Debian's certbot.timer enabled (twice a day; certbot renews 30 days before expiry).",
    }),
    certbot_nginx: Type.Boolean({
      default: true,
      description:
        'Point nginx at the lineages (/etc/nginx/tls/<name>) and reload it: after this run, and after each renewal (a deploy hook). false on hosts without nginx.',
    }),
  },
  { additionalProperties: false },
);
export type CertbotParams = Static<typeof CertbotParams>;

function checkCertbot(params: Partial<CertbotParams>): RoleParamIssue[] {
  const issues = duplicateIssues('certbot_certificates', params.certbot_certificates, 'name');
  if ((params.certbot_eab_kid === '') !== (params.certbot_eab_hmac_key === '')) {
    issues.push({
      path: ['certbot_eab_hmac_key'],
      message: 'certbot_eab_kid and certbot_eab_hmac_key go together',
    });
  }
  return issues;
}

const tasks: TaskInput[] = [
  {
    name: 'install certbot',
    apt: { name: ['certbot', 'openssl'], state: 'present', update_cache: true, cache_valid_time: 3600 },
  },
  {
    name: 'the challenge folder',
    file: { path: '{{ certbot_webroot }}', state: 'directory', owner: 'root', group: 'root', mode: '0755' },
    when: 'eq certbot_method "webroot"',
  },
  {
    name: 'external account binding (root only)',
    copy: {
      content:
        '# Managed by Bosun (role certbot).\neab-kid = {{ certbot_eab_kid }}\neab-hmac-key = {{ certbot_eab_hmac_key }}\n',
      dest: EAB_CONFIG,
      owner: 'root',
      group: 'root',
      mode: '0600',
    },
    no_log: true,
    when: 'ne certbot_eab_kid ""',
  },
  {
    name: 'no external account binding',
    file: { path: EAB_CONFIG, state: 'absent' },
    when: 'eq certbot_eab_kid ""',
  },
  {
    name: 'drop-in folder of certbot.service',
    file: { path: '/etc/systemd/system/certbot.service.d', state: 'directory', mode: '0755' },
    when: 'ne certbot_server_ca ""',
  },
  {
    name: 'renewals trust the ACME server CA',
    copy: {
      content:
        '# Managed by Bosun (role certbot).\n[Service]\nEnvironment=REQUESTS_CA_BUNDLE={{ certbot_server_ca }}\n',
      dest: '/etc/systemd/system/certbot.service.d/bosun.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'ne certbot_server_ca ""',
    notify: 'reload systemd units for certbot',
  },
  {
    name: 'deploy hooks folder',
    file: { path: '/etc/letsencrypt/renewal-hooks/deploy', state: 'directory', mode: '0755' },
    when: 'certbot_nginx',
  },
  {
    name: 'deploy hook: reload nginx after a renewal',
    copy: {
      content: DEPLOY_HOOK,
      dest: '/etc/letsencrypt/renewal-hooks/deploy/bosun-reload-nginx',
      owner: 'root',
      group: 'root',
      mode: '0755',
    },
    when: 'certbot_nginx',
  },
  {
    name: 'hook that takes nginx off port 80 for a standalone challenge',
    copy: {
      content: NGINX_HOOK_SCRIPT,
      dest: NGINX_HOOK_COMMAND,
      owner: 'root',
      group: 'root',
      mode: '0755',
    },
    when: 'certbot_nginx',
  },
  scriptTask(
    'obtain the certificates that are missing, name other domains or come from another server',
    OBTAIN_SCRIPT,
    'certbot_obtained',
    {
      LE_DIR: LETSENCRYPT,
      NAME: '{{ item.name }}',
      DOMAINS: '{{ join item.domains " " }}',
      METHOD: '{{ default item.method certbot_method }}',
      WEBROOT: '{{ certbot_webroot }}',
      SERVER: `{{#if certbot_staging}}${LE_STAGING}{{else}}{{ certbot_server }}{{/if}}`,
      EMAIL: '{{ certbot_email }}',
      KEY_TYPE: '{{ certbot_key_type }}',
      EAB_CONFIG: `{{#if (ne certbot_eab_kid "")}}${EAB_CONFIG}{{/if}}`,
      NGINX_HOOKS: '{{ certbot_nginx }}',
      PRE_HOOK: STANDALONE_PRE_HOOK,
      POST_HOOK: STANDALONE_POST_HOOK,
      REQUESTS_CA_BUNDLE: '{{ certbot_server_ca }}',
    },
    { loop: '{{ certbot_certificates }}', notify: 'reload nginx for the certificates' },
  ),
  scriptTask(
    'point nginx at the lineages',
    TLS_LINKS_SCRIPT,
    'certbot_nginx_links',
    {
      LINEAGES: '{{#each certbot_certificates}}{{ this.name }} {{/each}}',
      OBTAINED: `{{#each certbot_obtained.results}}{{#if (eq this.rc ${CHANGED_RC})}}{{ this.item.name }} {{/if}}{{/each}}`,
    },
    { when: 'certbot_nginx', notify: 'reload nginx for the certificates' },
  ),
  {
    name: 'renew with the timer',
    service: { name: 'certbot.timer', state: 'started', enabled: true },
    when: 'certbot_renew_timer',
  },
];

const handlers: TaskInput[] = [
  { name: 'reload systemd units for certbot', command: { cmd: 'systemctl daemon-reload' } },
  {
    name: 'reload nginx for the certificates',
    shell: { cmd: 'if systemctl is-active --quiet nginx; then systemctl reload nginx; fi' },
    when: 'certbot_nginx',
  },
];

export default defineRole({
  name: 'certbot',
  description: [
    'Certificates from an ACME server with certbot: by webroot (the nginx role serves the challenge',
    'folder) or standalone; server URL, e-mail, staging and external account binding as parameters.',
    'A lineage is requested only when missing, when its domains change or when it came from another',
    "server (the staging toggle). Debian's certbot.timer renews; a deploy hook reloads nginx, and",
    'nginx sites name the lineage (`tls.certbot`). Standalone stops nginx around the challenge.',
  ].join('\n'),
  schema: CertbotParams,
  check: (params) => checkCertbot(params as Partial<CertbotParams>),
  tasks,
  handlers,
  readme: [
    {
      title: 'Order with nginx, and checking renewals',
      markdown: [
        'Apply nginx first: a site with `tls: { certbot: <name> }` starts with a self-signed stand-in',
        '(/etc/nginx/tls/<name>) and serves the challenge folder on HTTP; this role then obtains the',
        'certificate by webroot, points the link at /etc/letsencrypt/live/<name> and reloads nginx.',
        'A second run finds the lineage with the same domains and server and asks the ACME server nothing.',
        '',
        "Standalone (`certbot_method` or a certificate's `method`): certbot answers the challenge on",
        'port 80 itself, which nginx holds. With `certbot_nginx`, the lineage gets certbot hooks',
        '(`/usr/local/sbin/bosun-certbot-nginx stop` and `start`) that stop nginx before the challenge',
        'and start it after (only when it was running); certbot keeps',
        'them in the renewal file, so renewals do the same. nginx serves nothing meanwhile and its',
        'master process is a new one: prefer webroot on a host that runs nginx.',
        '',
        'The staging toggle and `certbot_server` are compared with the server a lineage was obtained',
        'from (`server` in /etc/letsencrypt/renewal/<name>.conf): after a switch, the next run replaces',
        'the certificate (`--force-renewal` from the new server), so staging certificates do not stay',
        'in production, nor renew from the staging server.',
        '',
        "To try renewals with another ACME server than Let's Encrypt, give it again:",
        '`certbot renew --dry-run --server <certbot_server>` (with `REQUESTS_CA_BUNDLE` for a private',
        "CA). Without `--server`, certbot's dry run goes to Let's Encrypt's staging server. The timer's",
        'real renewals use the server stored in the lineage. Run by hand, add `--no-random-sleep-on-renew`:',
        'off a terminal certbot first waits a random time of up to 8 minutes.',
      ].join('\n'),
    },
  ],
});
