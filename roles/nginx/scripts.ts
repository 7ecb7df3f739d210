/**
 * Shell scripts of the nginx role (protocol: src/model/role-scripts.ts): host facts, the check
 * of a candidate file against the whole configuration, and the private CA.
 */
import { changeScript } from '../../src/model/role-scripts.js';

/** Where the role installs TEST_SCRIPT. */
export const TEST_COMMAND = '/usr/local/sbin/bosun-nginx-test';

/**
 * Facts, one per line: 0. `yes` when the host has IPv6; 1. the nameservers of /etc/resolv.conf
 * as nginx's resolver wants them (IPv6 in brackets), space-separated; 127.0.0.1 when none.
 */
export const FACTS_SCRIPT = `set -u
if [ -e /proc/net/if_inet6 ]; then echo yes; else echo no; fi
awk '$1 == "nameserver" { a = $2; if (a ~ /:/) a = "[" a "]"; printf "%s%s", sep, a; sep = " " } END { if (sep == "") printf "127.0.0.1"; print "" }' /etc/resolv.conf 2>/dev/null || echo 127.0.0.1
`;

/**
 * bosun-nginx-test CANDIDATE RELPATH: nginx -t on a copy of /etc/nginx in which RELPATH (from
 * /etc/nginx) is CANDIDATE. The role's nginx.conf includes relative paths, so the copy is a
 * whole configuration of its own and the live tree is never touched: a candidate that fails
 * never replaces the file (the write module renames only after this passes). nginx's message
 * is printed with the copy's paths shown as /etc/nginx ones.
 */
export const TEST_SCRIPT = String.raw`#!/bin/sh
# Managed by Bosun (role nginx): nginx -t on a copy of /etc/nginx with one file replaced.
# Usage: bosun-nginx-test CANDIDATE RELPATH
set -u
[ "$#" -eq 2 ] || { echo "usage: $0 CANDIDATE RELPATH" >&2; exit 2; }
case "$2" in /*|*..*) echo "$0: RELPATH must be relative to /etc/nginx" >&2; exit 2 ;; esac
tmp=$(mktemp -d /tmp/bosun-nginx-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -a /etc/nginx/. "$tmp/" || exit 1
mkdir -p "$(dirname "$tmp/$2")" && rm -f "$tmp/$2" && cp "$1" "$tmp/$2" || exit 1
out=$(nginx -t -c "$tmp/nginx.conf" 2>&1)
rc=$?
printf '%s\n' "$out" | sed "s#$tmp/#/etc/nginx/#g; s#$tmp#/etc/nginx#g"
exit "$rc"
`;

/**
 * Points /etc/nginx/tls/<lineage> at certbot's live folder when it has the certificate, else
 * at the self-signed pair in /etc/nginx/tls/.self-signed (made here once), so a TLS site starts
 * before certbot has run. Environment: LINEAGES (space-separated); OBTAINED, the lineages
 * certbot just obtained, which check mode counts as there.
 */
export const TLS_LINKS_SCRIPT = changeScript(String.raw`
dir=/etc/nginx/tls
self=$dir/.self-signed
for name in $LINEAGES; do
  live=/etc/letsencrypt/live/$name
  if [ -e "$live/fullchain.pem" ] || { [ "$check" = true ] && in_list "$name" "${'$'}{OBTAINED:-}"; }; then
    want=$live
  else
    want=$self
  fi
  have=$(readlink "$dir/$name" 2>/dev/null || true)
  [ "$have" = "$want" ] && continue
  if [ "$want" = "$self" ] && [ ! -e "$self/fullchain.pem" ]; then
    act "make a self-signed certificate for TLS sites waiting for certbot" sh -c '
      umask 077 && mkdir -p "$1" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=waiting-for-certbot" -keyout "$1/privkey.pem" -out "$1/fullchain.pem" 2>/dev/null' sh "$self"
  fi
  act "link $dir/$name to $want" sh -c 'mkdir -p "$1" && ln -sfn "$2" "$1/$3"' sh "$dir" "$want" "$name"
done
finish
`);

/**
 * The sites whose certificate names an OCSP responder (Authority Information Access), one name
 * a line: nginx staples only for those. Environment: CERTS, lines "site certificate" with the
 * certificate relative to /etc/nginx or absolute. A certificate that is not there yet (check
 * mode on a fresh host, a certbot lineage before its stand-in exists) names none.
 */
export const OCSP_FACTS_SCRIPT = `set -u
printf '%s\\n' "$CERTS" | while read -r site cert; do
  case "$cert" in /*) ;; *) cert=/etc/nginx/$cert ;; esac
  [ -n "$site" ] && [ -f "$cert" ] || continue
  [ -n "$(openssl x509 -noout -ocsp_uri -in "$cert" 2>/dev/null)" ] && printf '%s\\n' "$site"
done
exit 0
`;

/** ffdhe2048 of RFC 7919 as OpenSSL writes it: known parameters, nothing to generate. */
export const DHPARAM_SCRIPT = changeScript(`
file=/etc/nginx/dhparam.pem
if [ ! -s "$file" ]; then
  act "write $file (ffdhe2048)" sh -c 'openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$1.tmp" && mv "$1.tmp" "$1"' sh "$file"
fi
finish
`);

/**
 * The private CA, with `openssl ca` keeping its database (index.txt, serial) in PKI_DIR:
 * - the CA: PKI_CA_CERT/PKI_CA_KEY copied in when given, else created once (CA_CN, CA_DAYS,
 *   CA_KEY_TYPE);
 * - a certificate per name of CLIENTS (lines "cn days key_type"), issued when missing;
 * - each issued certificate whose name left the list is revoked and moved to revoked/;
 * - crl.pem re-signed when something was revoked, when missing, or when less than a third of
 *   CRL_DAYS is left;
 * - <cn>.p12 made when missing, for the names with a passphrase. The passphrases come on
 *   stdin, one line per name of P12_NAMES (in that order), and reach openssl on its stdin.
 * Keys are written with umask 077 and never printed.
 */
export const PKI_SCRIPT = changeScript(String.raw`
umask 077
d=$PKI_DIR
keygen() { # TYPE FILE
  case "$1" in
    rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${'$'}{1#rsa}" -out "$2" 2>/dev/null ;;
    ec-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    ec-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    *) echo "unknown key type $1" >&2; return 1 ;;
  esac
}
make_folder() {
  mkdir -p "$d/clients" "$d/revoked" "$d/newcerts" && touch "$d/index.txt" &&
  { [ -f "$d/serial" ] || openssl rand -hex 16 > "$d/serial"; } &&
  { [ -f "$d/crlnumber" ] || echo 1000 > "$d/crlnumber"; } &&
  cat > "$d/openssl.cnf" <<CNF
# Managed by Bosun (role nginx): the private CA of client certificates.
[ ca ]
default_ca = bosun
[ bosun ]
dir = $d
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = client
[ anything ]
commonName = supplied
[ client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}
given_ca() {
  cp "$PKI_CA_CERT" "$d/ca.crt" && cp "$PKI_CA_KEY" "$d/ca.key" && chmod 644 "$d/ca.crt"
}
new_ca() {
  keygen "$CA_KEY_TYPE" "$d/ca.key" &&
  openssl req -x509 -new -key "$d/ca.key" -subj "/CN=$CA_CN" -days "$CA_DAYS" -sha256 \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$d/ca.crt" && chmod 644 "$d/ca.crt"
}
revoke() { # CN
  serial=$(openssl x509 -noout -serial -in "$d/clients/$1.crt" | cut -d= -f2) &&
  openssl ca -config "$d/openssl.cnf" -revoke "$d/clients/$1.crt" 2>/dev/null &&
  for f in "$d/clients/$1".*; do mv "$f" "$d/revoked/$1-$serial.${'$'}{f##*.}" || return 1; done
}
issue() { # CN DAYS TYPE
  keygen "$3" "$d/clients/$1.key" &&
  openssl req -new -key "$d/clients/$1.key" -subj "/CN=$1" -out "$d/clients/$1.csr" &&
  openssl ca -batch -notext -config "$d/openssl.cnf" -days "$2" -in "$d/clients/$1.csr" \
    -out "$d/clients/$1.crt" 2>/dev/null &&
  rm -f "$d/clients/$1.csr"
}
sign_crl() {
  openssl ca -config "$d/openssl.cnf" -gencrl -crldays "$CRL_DAYS" -out "$d/crl.pem.tmp" 2>/dev/null &&
  chmod 644 "$d/crl.pem.tmp" && mv "$d/crl.pem.tmp" "$d/crl.pem"
}
bundle() { # CN, passphrase in $pass: printf is built in, so it reaches openssl on stdin only
  printf '%s\n' "$pass" | openssl pkcs12 -export -in "$d/clients/$1.crt" -inkey "$d/clients/$1.key" \
    -certfile "$d/ca.crt" -name "$1" -passout stdin -out "$d/clients/$1.p12.tmp" &&
  mv "$d/clients/$1.p12.tmp" "$d/clients/$1.p12"
}
crl_fresh() {
  next=$(openssl crl -in "$d/crl.pem" -noout -nextupdate 2>/dev/null | cut -d= -f2) && [ -n "$next" ] &&
  [ "$(( $(date -d "$next" +%s) - $(date +%s) ))" -ge "$(( CRL_DAYS * 86400 / 3 ))" ]
}

if [ ! -d "$d/clients" ] || [ ! -f "$d/openssl.cnf" ]; then act "create the CA folder $d" make_folder; fi
if [ -n "$PKI_CA_CERT" ]; then
  if ! cmp -s "$PKI_CA_CERT" "$d/ca.crt" || ! cmp -s "$PKI_CA_KEY" "$d/ca.key"; then
    act "use the CA of $PKI_CA_CERT" given_ca
  fi
elif [ ! -f "$d/ca.crt" ]; then
  act "create the CA \"$CA_CN\"" new_ca
fi
revoked=0
for crt in "$d"/clients/*.crt; do
  [ -e "$crt" ] || continue
  cn=$(basename "$crt" .crt)
  printf '%s\n' "$CLIENTS" | awk -v cn="$cn" '$1 == cn { found = 1 } END { exit !found }' && continue
  revoked=1
  act "revoke the certificate of $cn" revoke "$cn"
done
while read -r cn days type; do
  [ -n "$cn" ] || continue
  [ -f "$d/clients/$cn.crt" ] && continue
  act "issue a client certificate for $cn ($type, $days days)" issue "$cn" "$days" "$type"
done <<EOF_CLIENTS
$CLIENTS
EOF_CLIENTS
if [ "$revoked" = 1 ] || [ ! -f "$d/crl.pem" ] || ! crl_fresh; then act "sign the CRL ($CRL_DAYS days)" sign_crl; fi
for cn in $P12_NAMES; do
  IFS= read -r pass || pass=
  [ -f "$d/clients/$cn.p12" ] || act "bundle $cn.p12" bundle "$cn"
done
finish
`);

/**
 * The bundles to fetch, as one base64 tar on stdout: ca.crt and clients/<cn>.{crt,key,p12} of
 * the names in NAMES; nothing while PKI_DIR does not exist (check mode on a fresh host).
 */
export const PKI_ARCHIVE_SCRIPT = `set -u
cd "$PKI_DIR" 2>/dev/null || exit 0
[ -f ca.crt ] || exit 0
set -- ca.crt
for cn in $NAMES; do
  for f in "clients/$cn.crt" "clients/$cn.key" "clients/$cn.p12"; do [ -f "$f" ] && set -- "$@" "$f"; done
done
tar -cf - "$@" | base64 -w0
`;

/**
 * On the controller: the base64 tar of PKI_ARCHIVE_SCRIPT on stdin, unpacked into DEST (flat,
 * root-only modes), each file written only when its bytes differ. Empty stdin (check mode,
 * nothing issued yet) with NAMES: the bundles would be fetched.
 */
export const PKI_FETCH_SCRIPT = changeScript(`
umask 077
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
base64 -d > "$tmp/all.tar" || exit 1
if [ ! -s "$tmp/all.tar" ]; then
  [ -n "$NAMES" ] && act "fetch the bundles of $NAMES into $DEST"
  finish
fi
mkdir "$tmp/x" && tar -C "$tmp/x" -xf "$tmp/all.tar" || exit 1
[ -d "$DEST" ] || act "create $DEST" mkdir -p "$DEST"
for f in "$tmp/x/ca.crt" "$tmp/x"/clients/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  cmp -s "$f" "$DEST/$name" || act "fetch $name" cp "$f" "$DEST/$name"
done
finish
`);
