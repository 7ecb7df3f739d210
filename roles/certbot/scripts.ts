/**
 * Shell scripts of the certbot role (protocol: src/model/role-scripts.ts): obtaining a lineage,
 * and the hooks certbot runs.
 */
import { changeScript } from '../../src/model/role-scripts.js';

/** certbot's configuration folder (its default). */
export const LETSENCRYPT = '/etc/letsencrypt';

/** Where the role installs NGINX_HOOK_SCRIPT. */
export const NGINX_HOOK_COMMAND = '/usr/local/sbin/bosun-certbot-nginx';

/**
 * The hooks of a standalone lineage when nginx is on the host: certbot listens on port 80
 * itself, which nginx holds, so nginx stops for the challenge and starts again after it, only
 * when the hook stopped it. A file, as certbot wants a hook's first word to be a program in
 * PATH. The mark is in /run: gone at reboot, as nginx's state is.
 */
export const NGINX_HOOK_SCRIPT = `#!/bin/sh
# Managed by Bosun (role certbot): nginx off port 80 for a standalone challenge.
# Usage: bosun-certbot-nginx stop|start
mark=/run/bosun-certbot-stopped-nginx
case "$1" in
  stop) if systemctl is-active --quiet nginx; then systemctl stop nginx && touch "$mark"; fi ;;
  start) if [ -e "$mark" ]; then rm -f "$mark" && systemctl start nginx; fi ;;
  *) echo "usage: $0 stop|start" >&2; exit 2 ;;
esac
`;

/** certbot keeps them in the lineage's renewal file, so renewals (and renew --dry-run) do the same. */
export const STANDALONE_PRE_HOOK = `${NGINX_HOOK_COMMAND} stop`;
export const STANDALONE_POST_HOOK = `${NGINX_HOOK_COMMAND} start`;

/**
 * Obtains the lineage NAME for DOMAINS when it is missing, names other domains, or was obtained
 * from another ACME server than SERVER (the staging toggle or certbot_server changed: the
 * lineage is replaced now, else its renewals would keep going to the old server); nothing
 * otherwise (certbot.timer renews). Environment: LE_DIR (certbot's folder), NAME, DOMAINS,
 * METHOD, WEBROOT, SERVER, EMAIL, KEY_TYPE, EAB_CONFIG (a path or ""), NGINX_HOOKS (true: stop
 * nginx around a standalone challenge, with PRE_HOOK and POST_HOOK), REQUESTS_CA_BUNDLE when the server's CA is private.
 */
export const OBTAIN_SCRIPT = changeScript(String.raw`
live=$LE_DIR/live/$NAME/cert.pem
want=$(printf '%s\n' $DOMAINS | sort -u | tr '\n' ' ')
why="obtain the certificate $NAME for $want"
force=
if [ -f "$live" ]; then
  have=$(openssl x509 -noout -ext subjectAltName -in "$live" 2>/dev/null | tr ',' '\n' | sed -n 's/^ *DNS://p' | sort -u | tr '\n' ' ')
  server=$(sed -n 's/^server *= *//p' "$LE_DIR/renewal/$NAME.conf" 2>/dev/null)
  if [ "$have" = "$want" ]; then
    [ "$server" = "$SERVER" ] && finish
    why="replace the certificate $NAME from $server by one from $SERVER"
    force=--force-renewal
  fi
fi
obtain() {
  set -- certonly --non-interactive --agree-tos --cert-name "$NAME" --server "$SERVER" --key-type "$KEY_TYPE" --keep-until-expiring --expand
  [ -n "$force" ] && set -- "$@" "$force"
  if [ -n "$EMAIL" ]; then set -- "$@" --email "$EMAIL"; else set -- "$@" --register-unsafely-without-email; fi
  [ -n "$EAB_CONFIG" ] && set -- "$@" --config "$EAB_CONFIG"
  if [ "$METHOD" = webroot ]; then
    set -- "$@" --webroot --webroot-path "$WEBROOT"
  else
    set -- "$@" --standalone
    [ "$NGINX_HOOKS" = true ] && set -- "$@" --pre-hook "$PRE_HOOK" --post-hook "$POST_HOOK"
  fi
  for domain in $DOMAINS; do set -- "$@" --domain "$domain"; done
  certbot "$@" 2>&1
}
act "$why" obtain
finish
`);

/** Run by certbot after each renewal (RENEWED_LINEAGE set): nginx loads the new certificate. */
export const DEPLOY_HOOK = `#!/bin/sh
# Managed by Bosun (role certbot): reload nginx after a renewal, when it runs.
if systemctl is-active --quiet nginx; then
  exec systemctl reload nginx
fi
`;
