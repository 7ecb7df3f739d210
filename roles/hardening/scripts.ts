/**
 * Shell scripts of the hardening role, for the items no module covers (live sysctl values in
 * containers, SUID sweeps, permissions of files that may not exist, system accounts...).
 * They follow the protocol of src/model/role-scripts.ts (exit 10 when changed, report only in
 * check mode).
 */
import { changeScript as script } from '../../src/model/role-scripts.js';

export { CHANGED_RC } from '../../src/model/role-scripts.js';

/**
 * Facts the role's templates need, one per line, in this order:
 * 0. OpenSSH version as major * 100 + minor (902 for 9.2p1), 0 when none is installed;
 * 1. `yes` when the host is a container (its kernel is the machine's own);
 * 2. `yes` when this sshd knows the Debian-only DebianBanner option;
 * 3. `yes` when systemd runs the host.
 */
export const FACTS_SCRIPT = String.raw`set -u
version=$( { sshd -V 2>&1 || /usr/sbin/sshd -V 2>&1 || ssh -V 2>&1; } 2>/dev/null | sed -n 's/.*OpenSSH_\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p' | head -n 1)
if [ -n "$version" ]; then
  set -- $version
  echo $(( $1 * 100 + $2 ))
else
  echo 0
fi
container=no
if [ -f /.dockerenv ] || [ -f /run/.containerenv ] || [ -f /run/systemd/container ]; then
  container=yes
elif grep -qa 'container=' /proc/1/environ 2>/dev/null; then
  container=yes
elif command -v systemd-detect-virt >/dev/null 2>&1 && systemd-detect-virt --container --quiet; then
  container=yes
fi
echo "$container"
if [ -f /usr/sbin/sshd ] && grep -qa debianbanner /usr/sbin/sshd; then
  echo yes
else
  echo no
fi
if [ -d /run/systemd/system ]; then echo yes; else echo no; fi
`;

/**
 * Refuses settings that would lock the connecting user out, before anything changes. Prints one
 * line per problem (none when all is well). Environment: LOGIN_USER (may be empty: then the
 * user who ran sudo, else the current one), ALLOW_USERS, ALLOW_GROUPS, DENY_USERS, DENY_GROUPS
 * (sshd patterns, space-separated), PERMIT_ROOT, PASSWORD_AUTH and USES_PASSWORD (true/false).
 */
export const LOCKOUT_SCRIPT = String.raw`set -u
user=${'$'}{LOGIN_USER:-}
[ -n "$user" ] || user=${'$'}{SUDO_USER:-}
[ -n "$user" ] || user=$(id -un)
groups=$(id -Gn "$user" 2>/dev/null || true)
set -f
# matches NAME PATTERNS: whether NAME matches one of the sshd patterns (the @host part is ignored).
matches() {
  for pattern in $2; do
    pattern=${'$'}{pattern%%@*}
    case "$1" in
      $pattern) return 0 ;;
    esac
  done
  return 1
}
if [ -n "${'$'}{ALLOW_USERS:-}" ] && ! matches "$user" "$ALLOW_USERS"; then
  echo "hardening_ssh_allow_users (${'$'}ALLOW_USERS) does not let in \"$user\", the user Bosun connects as: add it, or this host would lock Bosun out"
fi
if [ -n "${'$'}{ALLOW_GROUPS:-}" ]; then
  found=no
  for group in $groups; do
    if matches "$group" "$ALLOW_GROUPS"; then found=yes; fi
  done
  if [ "$found" = no ]; then
    echo "hardening_ssh_allow_groups (${'$'}ALLOW_GROUPS) matches none of the groups of \"$user\" ($groups), the user Bosun connects as: this host would lock Bosun out"
  fi
fi
if [ -n "${'$'}{DENY_USERS:-}" ] && matches "$user" "$DENY_USERS"; then
  echo "hardening_ssh_deny_users (${'$'}DENY_USERS) denies \"$user\", the user Bosun connects as"
fi
if [ -n "${'$'}{DENY_GROUPS:-}" ]; then
  for group in $groups; do
    if matches "$group" "$DENY_GROUPS"; then
      echo "hardening_ssh_deny_groups (${'$'}DENY_GROUPS) denies group \"$group\" of \"$user\", the user Bosun connects as"
    fi
  done
fi
if [ "$user" = root ] && [ "${'$'}{PERMIT_ROOT:-no}" = no ]; then
  echo "hardening_ssh_permit_root_login is \"no\" but Bosun connects as root: connect as another user with sudo, or allow root"
fi
if [ "${'$'}{USES_PASSWORD:-false}" = true ] && [ "${'$'}{PASSWORD_AUTH:-false}" != true ]; then
  echo "Bosun connects to this host with a password but hardening_ssh_password_authentication is false: install a key for \"$user\" first"
fi
exit 0
`;

/**
 * Applies the sysctl values to the running kernel where they belong to this host: in a
 * container only net.* keys (per network namespace) are written, and only when /proc/sys lets
 * us; the others are reported as skipped. Environment: SYSCTL_LINES ("key = value" lines),
 * IN_CONTAINER (yes/no).
 */
export const SYSCTL_SCRIPT = script(String.raw`
# A here-document, not a pipe: the loop must run in this shell to record changes.
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  key=$(printf '%s' "${'$'}{line%%=*}" | tr -d ' \t')
  want=$(printf '%s' "${'$'}{line#*=}" | tr -s ' \t' '  ' | sed 's/^ //; s/ $//')
  file=/proc/sys/$(printf '%s' "$key" | tr . /)
  if [ ! -e "$file" ]; then
    printf 'skipped %s: this kernel has no such key\n' "$key"
    continue
  fi
  have=$(tr -s ' \t' '  ' < "$file" | sed 's/^ //; s/ $//')
  [ "$have" = "$want" ] && continue
  case "$key" in
    net.*) ;;
    *)
      if [ "${'$'}{IN_CONTAINER:-no}" = yes ]; then
        printf 'skipped %s = %s (now %s): a container runs on the machine kernel; the file applies it at boot of a real host\n' "$key" "$want" "$have"
        continue
      fi
      ;;
  esac
  if [ ! -w "$file" ]; then
    printf 'skipped %s = %s (now %s): /proc/sys is read-only here\n' "$key" "$want" "$have"
    continue
  fi
  write_value() { printf '%s\n' "$want" > "$file"; }
  act "set $key = $want (was $have)" write_value
done <<BOSUN_SYSCTL
${'$'}{SYSCTL_LINES:-}
BOSUN_SYSCTL
finish
`);

/**
 * Prints the kernel modules to disable, one per line: the candidates less the whitelist, modules
 * loaded now, filesystems mounted now, vfat on an EFI system and squashfs where snaps are used.
 * Environment: CANDIDATES, WHITELIST (space-separated).
 */
export const MODPROBE_FACTS_SCRIPT = `set -u
efi=no
if [ -d /sys/firmware/efi ] || grep -qs '[[:space:]]/boot/efi[[:space:]]' /etc/fstab /proc/mounts; then efi=yes; fi
for module in ${'$'}{CANDIDATES:-}; do
  skip=no
  for kept in ${'$'}{WHITELIST:-}; do [ "$kept" = "$module" ] && skip=yes; done
  loaded=$(printf '%s' "$module" | tr - _)
  grep -qs "^$loaded " /proc/modules && skip=yes
  awk '{ print $3 }' /proc/mounts 2>/dev/null | grep -qx "$module" && skip=yes
  [ "$module" = vfat ] && [ "$efi" = yes ] && skip=yes
  if [ "$module" = squashfs ] && { command -v snap >/dev/null 2>&1 || [ -d /var/lib/snapd ]; }; then skip=yes; fi
  [ "$skip" = no ] && echo "$module"
done
exit 0
`;

/**
 * Removes SUID/SGID bits from the blacklisted programs and, when asked, from every program not
 * in the whitelist. Environment: BLACKLIST, WHITELIST (newline-separated paths), REMOVE_UNKNOWN.
 */
export const SUID_SGID_SCRIPT = script(String.raw`
whitelisted() {
  printf '%s\n' "${'$'}{WHITELIST:-}" | grep -Fxq -- "$1"
}
strip_bits() {
  path=$1
  [ -f "$path" ] && [ ! -L "$path" ] || return 0
  [ -u "$path" ] || [ -g "$path" ] || return 0
  act "remove SUID/SGID bits from $path" chmod u-s,g-s "$path"
}
tmp_list=$(printf '%s\n' "${'$'}{BLACKLIST:-}")
old_ifs=$IFS
IFS='
'
for path in $tmp_list; do
  [ -n "$path" ] || continue
  whitelisted "$path" && continue
  strip_bits "$path"
done
if [ "${'$'}{REMOVE_UNKNOWN:-false}" = true ]; then
  for path in $(find / -xdev -type f -perm /6000 2>/dev/null); do
    whitelisted "$path" && continue
    strip_bits "$path"
  done
fi
IFS=$old_ifs
finish
`);

/**
 * Owners and modes of system files, no group/other write bits in system paths, modes of home
 * folders, no .rhosts/.shosts/.netrc/hosts.equiv. Environment: PERMISSIONS ("path owner group
 * mode" lines), SYSTEM_PATHS (space-separated), HOME_MODE (may be empty), RESTRICT_SU.
 */
export const PERMISSIONS_SCRIPT = script(`
set -f
nl='
'
# enforce PATH OWNER GROUP MODE (owner and group by name or id)
enforce() {
  path=$1 owner=$2 group=$3 mode=$4
  [ -e "$path" ] || return 0
  set -- $(stat -L -c '%U %u %G %g %a' "$path")
  owner_ok=no group_ok=no
  if [ "$owner" = "$1" ] || [ "$owner" = "$2" ]; then owner_ok=yes; fi
  if [ "$group" = "$3" ] || [ "$group" = "$4" ]; then group_ok=yes; fi
  if [ "$owner_ok" = no ] || [ "$group_ok" = no ]; then
    act "change owner of $path from $1:$3 to $owner:$group" chown "$owner:$group" "$path"
  fi
  # chown clears setuid bits: compare the mode as it was.
  if [ $((0$mode)) -ne $((0$5)) ]; then
    act "change mode of $path from $5 to $mode" chmod "$mode" "$path"
  fi
}
IFS=$nl
for entry in ${'$'}{PERMISSIONS:-}; do
  IFS=' '
  enforce $entry
  IFS=$nl
done
IFS=' '
if [ "${'$'}{RESTRICT_SU:-false}" = true ]; then
  for su in /usr/bin/su /bin/su; do
    if [ -f "$su" ] && [ ! -L "$su" ]; then enforce "$su" root root 0750; break; fi
  done
fi
for dir in ${'$'}{SYSTEM_PATHS:-}; do
  [ -d "$dir" ] || continue
  IFS=$nl
  for file in $(find -L "$dir" -type f -perm /022 2>/dev/null); do
    act "remove group/other write permission from $file" chmod go-w "$file"
  done
  IFS=' '
done
if [ -n "${'$'}{HOME_MODE:-}" ] && [ -d /home ]; then
  set +f
  for home in /home/*; do
    [ -d "$home" ] && [ ! -L "$home" ] || continue
    have=$(stat -c '%a' "$home")
    if [ $((0$have)) -ne $((0$HOME_MODE)) ]; then
      act "change mode of $home from $have to $HOME_MODE" chmod "$HOME_MODE" "$home"
    fi
  done
  set -f
fi
for file in /etc/hosts.equiv /etc/shosts.equiv; do
  if [ -e "$file" ]; then act "remove $file" rm -f "$file"; fi
done
IFS=$nl
for home in $(cut -d: -f6 /etc/passwd | sort -u); do
  [ -n "$home" ] && [ "$home" != / ] && [ -d "$home" ] || continue
  for name in .rhosts .shosts .netrc; do
    if [ -e "$home/$name" ] || [ -L "$home/$name" ]; then act "remove $home/$name" rm -f "$home/$name"; fi
  done
done
IFS=' '
finish
`);

/**
 * System accounts (uid below UID_MIN, except EXCEPTIONS and the user Bosun connects as) get
 * the nologin shell and a locked password. Environment: UID_MIN, EXCEPTIONS (space-separated),
 * LOGIN_USER.
 */
export const NOLOGIN_SCRIPT = script(`
nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin
login_user=${'$'}{LOGIN_USER:-}
[ -n "$login_user" ] || login_user=${'$'}{SUDO_USER:-}
while IFS=: read -r name _ uid _ _ _ shell; do
  [ "$uid" -lt "${'$'}{UID_MIN:-1000}" ] || continue
  in_list "$name" "${'$'}{EXCEPTIONS:-}" && continue
  [ "$name" = "$login_user" ] && continue
  case "$shell" in
    */nologin|*/false) ;;
    *) act "set the shell of system account $name to $nologin (was $shell)" usermod -s "$nologin" "$name" ;;
  esac
  password=$(getent shadow "$name" | cut -d: -f2)
  case "$password" in
    '*'*|'!'*) ;;
    *) act "lock the password of system account $name" usermod -L "$name" ;;
  esac
done < /etc/passwd
finish
`);

/**
 * sshd's PAM account stack without the password-expiry check: /etc/pam.d/bosun-sshd-account is
 * common-account where pam_unix's new_authtok_reqd (password expired) jumps like success, and
 * /etc/pam.d/sshd includes it instead of common-account. Account expiry still refuses. With
 * ENABLED=false both are undone.
 */
export const PAM_SSHD_ACCOUNT_SCRIPT = script(String.raw`
stack=/etc/pam.d/bosun-sshd-account
sshd=/etc/pam.d/sshd
[ -f "$sshd" ] || finish
if [ "${'$'}{ENABLED:-true}" = true ]; then
  [ -f /etc/pam.d/common-account ] || finish
  want=$(printf '# Managed by Bosun (role hardening): generated from common-account; an expired password\n# does not refuse a key login (account expiry still does).\n'; sed -E '/pam_unix\.so/ s/success=([0-9]+)(.*)new_authtok_reqd=done/success=\1\2new_authtok_reqd=\1/' /etc/pam.d/common-account)
  have=$(cat "$stack" 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    write_stack() { printf '%s\n' "$want" > "$stack.bosun-tmp" && chmod 0644 "$stack.bosun-tmp" && mv "$stack.bosun-tmp" "$stack"; }
    act "write $stack (common-account without the password-expiry refusal)" write_stack
  fi
  if grep -Eq '^@include[[:space:]]+common-account[[:space:]]*$' "$sshd"; then
    act "make $sshd use bosun-sshd-account" sed -i -E 's/^@include[[:space:]]+common-account[[:space:]]*$/@include bosun-sshd-account/' "$sshd"
  fi
else
  if grep -Eq '^@include[[:space:]]+bosun-sshd-account[[:space:]]*$' "$sshd"; then
    act "make $sshd use common-account again" sed -i -E 's/^@include[[:space:]]+bosun-sshd-account[[:space:]]*$/@include common-account/' "$sshd"
  fi
  [ -e "$stack" ] && act "remove $stack" rm -f "$stack"
fi
finish
`);

/**
 * Host keys: generates missing keys of the wanted TYPES and replaces an RSA key smaller than
 * RSA_BITS. Environment: TYPES (space-separated), RSA_BITS.
 */
export const HOST_KEYS_SCRIPT = script(`
for type in ${'$'}{TYPES:-}; do
  key=/etc/ssh/ssh_host_${'$'}{type}_key
  bits=
  [ "$type" = rsa ] && bits=${'$'}{RSA_BITS:-4096}
  [ "$type" = ecdsa ] && bits=521
  if [ -f "$key" ]; then
    [ "$type" = rsa ] || continue
    have=$(ssh-keygen -l -f "$key" 2>/dev/null | cut -d' ' -f1)
    [ -n "$have" ] && [ "$have" -ge "$bits" ] && continue
    act "replace the $have-bit RSA host key by a $bits-bit one" sh -c 'rm -f "$1" "$1.pub" && ssh-keygen -q -t rsa -b "$2" -N "" -f "$1"' sh "$key" "$bits"
  elif [ -n "$bits" ]; then
    act "generate the $type host key ($bits bits)" ssh-keygen -q -t "$type" -b "$bits" -N "" -f "$key"
  else
    act "generate the $type host key" ssh-keygen -q -t "$type" -N "" -f "$key"
  fi
done
finish
`);

/** Removes Diffie-Hellman moduli smaller than MIN_BITS from /etc/ssh/moduli. */
export const MODULI_SCRIPT = script(`
moduli=/etc/ssh/moduli
min=${'$'}{MIN_BITS:-0}
[ "$min" -gt 0 ] && [ -f "$moduli" ] || finish
# Field 5 is the size minus one (3071 for a 3072-bit modulus).
small=$(awk -v min="$min" '$1 !~ /^#/ && NF >= 7 && $5 + 1 < min' "$moduli" | wc -l)
if [ "$small" -gt 0 ]; then
  trim() {
    awk -v min="$min" '$1 ~ /^#/ || NF < 7 || $5 + 1 >= min' "$moduli" > "$moduli.bosun-tmp" &&
      chmod 0644 "$moduli.bosun-tmp" && mv "$moduli.bosun-tmp" "$moduli"
  }
  act "remove $small Diffie-Hellman moduli smaller than $min bits from $moduli" trim
fi
finish
`);

/**
 * Remounts /proc with the hidepid option of /etc/fstab (HIDEPID), except in a container.
 * Environment: HIDEPID, IN_CONTAINER.
 */
export const PROC_HIDEPID_SCRIPT = script(`
want=${'$'}{HIDEPID:-0}
[ "$want" -gt 0 ] || finish
options=$(awk '$2 == "/proc" && $3 == "proc" { print $4; exit }' /proc/mounts)
case ",$options," in
  *,hidepid=$want,*) finish ;;
  *,hidepid=invisible,*) [ "$want" = 2 ] && finish ;;
  *,hidepid=noaccess,*) [ "$want" = 1 ] && finish ;;
esac
if [ "${'$'}{IN_CONTAINER:-no}" = yes ]; then
  printf 'skipped remounting /proc with hidepid=%s: a container runtime owns this /proc; /etc/fstab applies it on a real host\n' "$want"
  finish
fi
act "remount /proc with hidepid=$want" mount -o "remount,hidepid=$want" /proc
finish
`);

/**
 * Ubuntu 22.10 and later start sshd from ssh.socket, which ignores Port and ListenAddress of
 * sshd_config: switch to ssh.service as dev-sec does.
 */
export const SSH_SOCKET_SCRIPT = script(`
command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] || finish
state=$(systemctl is-enabled ssh.socket 2>/dev/null || true)
if [ "$state" = enabled ]; then
  act "disable ssh.socket activation" systemctl disable ssh.socket
  act "enable ssh.service" systemctl enable ssh.service
fi
finish
`);

/** Reloads sshd (a reload keeps open sessions, a restart would be needed for nothing). */
export const SSHD_RELOAD_SCRIPT = `set -eu
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  if systemctl is-active --quiet ssh.service; then
    systemctl reload ssh.service
  elif systemctl is-active --quiet sshd.service; then
    systemctl reload sshd.service
  else
    systemctl start ssh.service
  fi
elif [ -f /run/sshd.pid ]; then
  kill -HUP "$(cat /run/sshd.pid)"
else
  echo 'no running sshd found to reload' >&2
  exit 1
fi
`;
