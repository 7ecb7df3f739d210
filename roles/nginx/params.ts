/**
 * Parameters of the nginx role: the server, its sites (static roots, reverse-proxy locations,
 * TLS, client certificates) and the private CA that issues client certificates.
 */
import { type Static, Type } from '@sinclair/typebox';
import { duplicateIssues, type RoleParamIssue } from '../../src/model/role.js';

export const ABS_PATH = '^/[A-Za-z0-9_.@+/-]*$';
export const ABS_PATH_MESSAGE =
  'must be an absolute path of letters, digits, "_", ".", "@", "+", "-" and "/"';
export const NAME = '^[a-z0-9][a-z0-9_.-]{0,63}$';
export const NAME_MESSAGE =
  'must be lower-case letters, digits, "_", "." and "-", starting with a letter or digit';
const SIZE = '^[0-9]+[kKmMgG]?$';
const SIZE_MESSAGE = 'must be a size as nginx writes it: "1m", "512k", "0" for no limit';
const HEADER = '^[A-Za-z0-9-]+$';
const HEADER_MESSAGE = 'must be an HTTP header name (letters, digits and "-")';
const DIRECTIVE = '^[^;{}\\r\\n#]+$';
const DIRECTIVE_MESSAGE = 'must be one directive without its ";" (no braces, no newline)';

export const absPath = (description: string, fallback?: string) =>
  Type.String({
    pattern: ABS_PATH,
    errorMessage: ABS_PATH_MESSAGE,
    description,
    ...(fallback === undefined ? {} : { default: fallback }),
  });

const port = (description: string, fallback: number) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: fallback, description });

const seconds = (description: string, fallback: number) =>
  Type.Integer({ minimum: 1, maximum: 86400, default: fallback, description: `${description} (seconds).` });

const directives = Type.Optional(
  Type.Array(Type.String({ pattern: DIRECTIVE, errorMessage: DIRECTIVE_MESSAGE }), {
    default: [],
    description:
      'More directives written as they are ("add_header X-Frame-Options DENY"), for what the parameters do not cover. nginx -t checks them before they are live.',
  }),
);

const NginxLocation = Type.Object(
  {
    path: Type.String({
      pattern: '^(?:= |\\^~ )?/[^\\s;{}]*$',
      errorMessage: 'must be a URI prefix such as "/" or "/api/", optionally after "= " or "^~ "',
      description: 'The location prefix ("/", "/api/"), or "= /exact", "^~ /prefix".',
    }),
    proxy_pass: Type.Optional(
      Type.String({
        pattern: '^https?://[A-Za-z0-9_.-]+(?::[0-9]{1,5})?$|^https?://\\[[0-9A-Fa-f:.]+\\](?::[0-9]{1,5})?$',
        errorMessage: 'must be http(s)://host or http(s)://host:port, without a path',
        description:
          'Upstream of a reverse-proxy location, without a path (the request URI is passed unchanged). Resolved when a request comes (resolver), so nginx starts while the upstream is down or not in DNS yet; a request then gets 502.',
      }),
    ),
    root: Type.Optional(absPath('Static files of this location (root: the URI is appended).')),
    websocket: Type.Optional(
      Type.Boolean({ default: false, description: 'Pass WebSocket upgrades (Upgrade, Connection).' }),
    ),
    connect_timeout: Type.Optional(seconds('Time to connect to the upstream', 5)),
    read_timeout: Type.Optional(seconds('Time between two reads from the upstream', 60)),
    send_timeout: Type.Optional(seconds('Time between two writes to the upstream', 60)),
    client_max_body_size: Type.Optional(
      Type.String({
        pattern: SIZE,
        errorMessage: SIZE_MESSAGE,
        description: 'Largest request body (uploads) here; default the site value.',
      }),
    ),
    client_cert: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "Only clients with a verified certificate get here (403 otherwise): per-location client authentication, with the site's client_auth.verify = optional.",
      }),
    ),
    directives,
  },
  { additionalProperties: false },
);

const NginxTls = Type.Object(
  {
    certificate: Type.Optional(absPath('Certificate chain (PEM), leaf first.')),
    key: Type.Optional(absPath('Private key of the certificate (PEM).')),
    certbot: Type.Optional(
      Type.String({
        pattern: NAME,
        errorMessage: NAME_MESSAGE,
        description:
          'Name of a certbot lineage (the certbot role): nginx uses /etc/nginx/tls/<name>/, a link to /etc/letsencrypt/live/<name>/ once certbot has the certificate, to a self-signed one until then.',
      }),
    ),
    redirect: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'HTTP answers with a redirect to HTTPS (except /.well-known/acme-challenge/); false serves the site on both.',
      }),
    ),
    hsts: Type.Optional(
      Type.Boolean({ default: false, description: 'Send Strict-Transport-Security (max-age two years).' }),
    ),
    ocsp_stapling: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Staple OCSP responses when the certificate names an OCSP responder (checked at each run: a certbot lineage gets it on the run after certbot obtained such a certificate); its issuer must be in the chain. Certificates without a responder get no ssl_stapling (nginx would only warn).',
      }),
    ),
  },
  { additionalProperties: false },
);

const NginxClientAuth = Type.Object(
  {
    ca: Type.Optional(
      absPath('CA bundle (PEM) that client certificates must chain to; default the CA of nginx_pki_*.'),
    ),
    verify: Type.Optional(
      Type.Union([Type.Literal('on'), Type.Literal('optional')], {
        default: 'on',
        description:
          'on: the whole site needs a verified certificate (400 otherwise); optional: only locations with client_cert do.',
      }),
    ),
    depth: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, default: 1, description: 'Verify depth of client chains.' }),
    ),
    crl: Type.Optional(
      absPath(
        'Revocation list (PEM); default the CRL of nginx_pki_* when ca is not given. "" is not allowed: leave ca and crl out, or give both.',
      ),
    ),
    dn_header: Type.Optional(
      Type.String({
        pattern: HEADER,
        errorMessage: HEADER_MESSAGE,
        default: 'X-SSL-Client-DN',
        description:
          "Header carrying the verified client's subject DN to upstreams (set by nginx, never the client's).",
      }),
    ),
    serial_header: Type.Optional(
      Type.String({
        pattern: HEADER,
        errorMessage: HEADER_MESSAGE,
        default: 'X-SSL-Client-Serial',
        description: "Header carrying the client certificate's serial to upstreams.",
      }),
    ),
  },
  { additionalProperties: false },
);

const NginxSite = Type.Object(
  {
    name: Type.String({
      pattern: NAME,
      errorMessage: NAME_MESSAGE,
      description: 'The site: its file is /etc/nginx/sites-enabled/bosun-<name>.conf, its logs <name>.*.log.',
    }),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'absent: the site file is removed.',
      }),
    ),
    server_names: Type.Array(
      Type.String({
        pattern: '^[A-Za-z0-9*_.-]+$',
        errorMessage: 'must be a host name, "*.example.com" or "example.*"',
      }),
      { minItems: 1, description: 'Host names of the site (server_name).' },
    ),
    http_port: Type.Optional(port('HTTP port (IPv4, and IPv6 when the host has it).', 80)),
    https_port: Type.Optional(port('HTTPS port, with tls.', 443)),
    root: Type.Optional(
      absPath('Static root of the site; "/" is served from it unless a location says otherwise.'),
    ),
    index: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]+$', errorMessage: 'must be a file name' }), {
        default: ['index.html'],
        description: 'Index files of the static root.',
      }),
    ),
    locations: Type.Optional(
      Type.Array(NginxLocation, {
        default: [],
        description: 'Locations: reverse proxies and static folders.',
      }),
    ),
    client_max_body_size: Type.Optional(
      Type.String({
        pattern: SIZE,
        errorMessage: SIZE_MESSAGE,
        default: '1m',
        description: 'Largest request body (uploads).',
      }),
    ),
    access_log: Type.Optional(absPath('Access log; default /var/log/nginx/<name>.access.log.')),
    error_log: Type.Optional(absPath('Error log; default /var/log/nginx/<name>.error.log.')),
    gzip: Type.Optional(Type.Boolean({ description: 'gzip for this site; default nginx_gzip.' })),
    tls: Type.Optional(NginxTls),
    client_auth: Type.Optional(NginxClientAuth),
    directives,
  },
  { additionalProperties: false },
);

const KEY_TYPES = ['rsa2048', 'rsa3072', 'rsa4096', 'ec-p256', 'ec-p384'] as const;

const PkiClient = Type.Object(
  {
    cn: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$',
      errorMessage: 'must be letters, digits, ".", "_", "@" and "-" (it names files too)',
      description: 'Common name of the client certificate (unique in the list).',
    }),
    days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, default: 365, description: 'Validity in days.' }),
    ),
    key_type: Type.Optional(
      Type.Union(
        KEY_TYPES.map((t) => Type.Literal(t)),
        { default: 'ec-p256', description: 'Key type: rsa2048, rsa3072, rsa4096, ec-p256, ec-p384.' },
      ),
    ),
    passphrase: Type.Optional(
      Type.String({
        minLength: 4,
        pattern: '^[^\\r\\n]+$',
        errorMessage: 'must be one line of at least 4 characters',
        description:
          'Passphrase of the PKCS#12 bundle (a secret: keep it in an encrypted vars file); sent on stdin, never in argv. Without one no .p12 is made.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const NginxParams = Type.Object(
  {
    nginx_package: Type.String({
      pattern: '^[a-z0-9][a-z0-9.+-]+$',
      errorMessage: 'must be a Debian package name',
      default: 'nginx',
      description: 'The nginx package (nginx, nginx-light, nginx-extras...).',
    }),
    nginx_worker_processes: Type.String({
      pattern: '^(?:auto|[1-9][0-9]*)$',
      errorMessage: 'must be "auto" or a number',
      default: 'auto',
      description: 'worker_processes.',
    }),
    nginx_worker_connections: Type.Integer({
      minimum: 64,
      maximum: 65535,
      default: 1024,
      description: 'worker_connections.',
    }),
    nginx_gzip: Type.Boolean({
      default: true,
      description: 'gzip text responses (HTML, CSS, JS, JSON, XML, SVG) of every site.',
    }),
    nginx_ipv6: Type.Boolean({
      default: true,
      description:
        'Listen on IPv6 too, when the host has IPv6 (/proc/net/if_inet6); resolve AAAA records then.',
    }),
    nginx_resolvers: Type.Array(
      Type.String({ pattern: '^[0-9A-Fa-f:.\\[\\]]+$', errorMessage: 'must be an IP address' }),
      {
        default: [],
        description:
          'DNS servers nginx asks for upstream names at request time; [] takes the nameservers of /etc/resolv.conf.',
      },
    ),
    nginx_tls_protocols: Type.Array(Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')]), {
      minItems: 1,
      default: ['TLSv1.2', 'TLSv1.3'],
      description: 'TLS versions offered (Mozilla "intermediate").',
    }),
    nginx_tls_ciphers: Type.String({
      pattern: '^[A-Za-z0-9:_+!-]+$',
      errorMessage: 'must be an OpenSSL cipher list',
      default:
        'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
      description: 'TLS 1.2 ciphers (Mozilla "intermediate"); TLS 1.3 suites are OpenSSL\'s.',
    }),
    nginx_dhparam: Type.Boolean({
      default: false,
      description:
        'Write /etc/nginx/dhparam.pem (the RFC 7919 ffdhe2048 group, nothing to generate) and use it for DHE ciphers.',
    }),
    nginx_client_max_body_size: Type.String({
      pattern: SIZE,
      errorMessage: SIZE_MESSAGE,
      default: '1m',
      description: 'Largest request body outside the sites (the default server).',
    }),
    nginx_acme_webroot: absPath(
      'Folder every site serves /.well-known/acme-challenge/ from, also on HTTP when it redirects (certbot --webroot).',
      '/var/www/letsencrypt',
    ),
    nginx_sites: Type.Array(NginxSite, { default: [], description: 'The sites.' }),
    nginx_pki_enabled: Type.Boolean({
      default: false,
      description: 'Keep a private CA on the host for client certificates (nginx_pki_*).',
    }),
    nginx_pki_dir: absPath('Where the CA, issued certificates and CRL live (root only).', '/etc/bosun-pki'),
    nginx_pki_ca_cn: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$',
      errorMessage: 'must be letters, digits, spaces, ".", "_", "@" and "-"',
      default: 'Bosun client CA',
      description: 'Common name of a CA the role creates.',
    }),
    nginx_pki_ca_days: Type.Integer({
      minimum: 1,
      maximum: 36500,
      default: 3650,
      description: 'Validity of a CA the role creates (days).',
    }),
    nginx_pki_ca_key_type: Type.Union(
      KEY_TYPES.map((t) => Type.Literal(t)),
      { default: 'ec-p384', description: 'Key type of a CA the role creates.' },
    ),
    nginx_pki_ca_cert: Type.String({
      pattern: `^$|${ABS_PATH}`,
      errorMessage: `"" or ${ABS_PATH_MESSAGE}`,
      default: '',
      description: 'A given CA instead: its certificate on the host (with nginx_pki_ca_key); "" creates one.',
    }),
    nginx_pki_ca_key: Type.String({
      pattern: `^$|${ABS_PATH}`,
      errorMessage: `"" or ${ABS_PATH_MESSAGE}`,
      default: '',
      description: 'Private key of the given CA on the host.',
    }),
    nginx_pki_crl_days: Type.Integer({
      minimum: 2,
      maximum: 3650,
      default: 365,
      description:
        'Validity of the CRL. nginx refuses every client once it has expired: a run re-signs it when less than a third is left.',
    }),
    nginx_pki_clients: Type.Array(PkiClient, {
      default: [],
      description: 'Client certificates to issue; one that leaves the list is revoked (CRL) on the next run.',
    }),
    nginx_pki_fetch_dir: Type.String({
      default: '',
      description:
        'Folder on the controller that receives the client bundles, in <dir>/<inventory host>/: ca.crt, <cn>.crt, <cn>.key and <cn>.p12 (mode 0600; files of revoked names stay); "" fetches nothing.',
    }),
  },
  { additionalProperties: false },
);
export type NginxParams = Static<typeof NginxParams>;

export function checkNginx(params: Partial<NginxParams>): RoleParamIssue[] {
  const issues: RoleParamIssue[] = duplicateIssues('nginx_sites', params.nginx_sites, 'name');
  for (const [index, site] of (params.nginx_sites ?? []).entries()) {
    const tls = site.tls;
    if (tls) {
      const paths = tls.certificate !== undefined || tls.key !== undefined;
      if (paths === (tls.certbot !== undefined)) {
        issues.push({ path: ['nginx_sites', index, 'tls'], message: 'give certificate and key, or certbot' });
      } else if (paths && (tls.certificate === undefined || tls.key === undefined)) {
        issues.push({ path: ['nginx_sites', index, 'tls'], message: 'certificate and key go together' });
      }
    }
    const auth = site.client_auth;
    if (auth && !tls) {
      issues.push({ path: ['nginx_sites', index, 'client_auth'], message: 'client certificates need tls' });
    }
    if (auth && auth.ca === undefined && params.nginx_pki_enabled === false) {
      issues.push({
        path: ['nginx_sites', index, 'client_auth', 'ca'],
        message: 'give a CA bundle, or enable nginx_pki_enabled for the role CA',
      });
    }
    for (const [at, location] of (site.locations ?? []).entries()) {
      if (location.proxy_pass !== undefined && location.root !== undefined) {
        issues.push({
          path: ['nginx_sites', index, 'locations', at, 'root'],
          message: 'a location proxies or serves files, not both',
        });
      }
      if (location.client_cert === true && (auth?.verify ?? 'on') !== 'optional') {
        issues.push({
          path: ['nginx_sites', index, 'locations', at, 'client_cert'],
          message: 'client_cert on a location needs the site client_auth with verify: optional',
        });
      }
    }
  }
  issues.push(...duplicateIssues('nginx_pki_clients', params.nginx_pki_clients, 'cn'));
  if (
    (params.nginx_pki_ca_cert === '') !== (params.nginx_pki_ca_key === '') &&
    params.nginx_pki_ca_cert !== undefined
  ) {
    issues.push({
      path: ['nginx_pki_ca_key'],
      message: 'nginx_pki_ca_cert and nginx_pki_ca_key go together',
    });
  }
  return issues;
}
