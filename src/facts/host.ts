/**
 * Host facts (`gather_facts`): what roles branch on, read in one script that needs no root, no
 * Python and no network (route and name lookups read the host's own tables and /etc/hosts).
 * The script prints raw values; every decision (names, versions, kinds of virtualisation) is
 * made here, so each distribution's recorded output is a plain parser test.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type FactReport, parseReport, single } from './report.js';

export interface DefaultRoute {
  interface: string;
  gateway: string | null;
  /** The interface's first global address (null when unknown). */
  address: string | null;
  prefix: number | null;
}

export interface HostFacts {
  /** Ansible's names: Debian, Ubuntu, Amazon, RedHat... (os-release NAME otherwise). */
  distribution: string;
  /** 12.11 on Debian (/etc/debian_version), 22.04 on Ubuntu, 2023 on Amazon Linux. */
  distribution_version: string;
  distribution_major_version: string;
  /** bookworm, noble... null where the distribution has none (Amazon Linux). */
  codename: string | null;
  os_family: string;
  /** uname -m: x86_64, aarch64. */
  architecture: string;
  /** dpkg's name of it (amd64, arm64), what apt sources say; null without dpkg. */
  deb_architecture: string | null;
  /** uname -r and uname -v. */
  kernel: string;
  kernel_version: string;
  /** systemd when it runs the host, else PID 1's kind (sysvinit, openrc) or name. */
  init: string;
  /** docker, podman, lxc... or null on a machine of its own. */
  container: string | null;
  /** kvm, amazon, xen, vmware, microsoft... or null on bare metal (and unknown). */
  vm: string | null;
  /** Processors this host's processes may run on (nproc). */
  cpus: number;
  memory_mb: number;
  memory_available_mb: number;
  default_ipv4: DefaultRoute | null;
  default_ipv6: DefaultRoute | null;
  /** Short name, and the name with its domain as /etc/hosts or DNS give it. */
  hostname: string;
  fqdn: string;
  domain: string;
  /** apt, dnf, yum, zypper, apk, pacman; null when none is found. */
  pkg_mgr: string | null;
  python: { present: boolean; executable?: string; version?: string };
}

const PACKAGE_MANAGERS = [
  ['apt-get', 'apt'],
  ['dnf5', 'dnf'],
  ['dnf', 'dnf'],
  ['yum', 'yum'],
  ['zypper', 'zypper'],
  ['apk', 'apk'],
  ['pacman', 'pacman'],
] as const;

/** One round trip; every line is `key=value` (see report.ts). */
export function hostFactsScript(): RawShell {
  const managers = PACKAGE_MANAGERS.map(([command, name]) => `${command}:${name}`).join(' ');
  return raw(`set -u
echo "uname_r=$(uname -r)"
echo "uname_v=$(uname -v)"
echo "uname_m=$(uname -m)"
for f in /etc/os-release /usr/lib/os-release; do
  if [ -r "$f" ]; then sed -n 's/^\\([A-Z_][A-Z0-9_]*\\)=/os.\\1=/p' "$f"; break; fi
done
if [ -r /etc/debian_version ]; then echo "debian_version=$(head -n 1 /etc/debian_version)"; fi
if command -v dpkg >/dev/null 2>&1; then echo "dpkg_arch=$(dpkg --print-architecture)"; fi
echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
if [ -d /run/systemd/system ]; then echo systemd=1; fi
if [ -f /.dockerenv ]; then echo marker=docker; fi
if [ -f /run/.containerenv ]; then echo marker=podman; fi
if [ -r /run/systemd/container ]; then echo "marker=$(head -n 1 /run/systemd/container)"; fi
if command -v systemd-detect-virt >/dev/null 2>&1; then
  echo "detect_container=$(systemd-detect-virt --container 2>/dev/null)"
  echo "detect_vm=$(systemd-detect-virt --vm 2>/dev/null)"
fi
for k in sys_vendor product_name; do
  if [ -r /sys/class/dmi/id/$k ]; then echo "dmi.$k=$(head -n 1 /sys/class/dmi/id/$k)"; fi
done
if [ -r /sys/hypervisor/type ]; then echo "hypervisor=$(head -n 1 /sys/hypervisor/type)"; fi
if grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null; then echo cpu_hypervisor=1; fi
echo "nproc=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
sed -n 's/^\\(MemTotal\\|MemAvailable\\|MemFree\\): *\\([0-9]*\\) kB$/mem.\\1=\\2/p' /proc/meminfo
if command -v ip >/dev/null 2>&1; then
  for v in 4 6; do
    r=$(ip -$v route show default 2>/dev/null | head -n 1)
    [ -n "$r" ] || continue
    echo "route$v=$r"
    dev=$(printf '%s\\n' "$r" | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')
    [ -n "$dev" ] && ip -o -$v addr show dev "$dev" scope global 2>/dev/null | sed -n "1s/.* inet6\\{0,1\\} \\([^ ]*\\).*/addr$v=\\1/p"
  done
else
  awk 'NR > 1 && $2 == "00000000" { print "proc_route4=" $1 " " $3; exit }' /proc/net/route 2>/dev/null
  awk '$1 == "00000000000000000000000000000000" && $2 == "00" && $10 != "lo" { print "proc_route6=" $10 " " $5; exit }' /proc/net/ipv6_route 2>/dev/null
  awk '$4 == "00" { print "proc_addr6=" $6 " " $1 " " $3 }' /proc/net/if_inet6 2>/dev/null
fi
n=$(uname -n)
echo "nodename=$n"
echo "hosts=$(getent hosts "$n" 2>/dev/null | head -n 1)"
for m in ${managers}; do
  if command -v "\${m%%:*}" >/dev/null 2>&1; then echo "pkg_mgr=\${m#*:}"; break; fi
done
for p in python3 python /usr/libexec/platform-python; do
  if e=$(command -v "$p" 2>/dev/null); then echo "python=$e"; echo "python_version=$("$e" --version 2>&1 | head -n 1)"; break; fi
done
echo end=1
`);
}

/** Ansible's distribution names and families, from os-release's ID. */
const DISTRIBUTIONS: Record<string, [name: string, family: string]> = {
  debian: ['Debian', 'Debian'],
  ubuntu: ['Ubuntu', 'Debian'],
  linuxmint: ['Linux Mint', 'Debian'],
  raspbian: ['Debian', 'Debian'],
  amzn: ['Amazon', 'RedHat'],
  rhel: ['RedHat', 'RedHat'],
  centos: ['CentOS', 'RedHat'],
  rocky: ['Rocky', 'RedHat'],
  almalinux: ['AlmaLinux', 'RedHat'],
  fedora: ['Fedora', 'RedHat'],
  ol: ['OracleLinux', 'RedHat'],
  alpine: ['Alpine', 'Alpine'],
  arch: ['Archlinux', 'Archlinux'],
  sles: ['SLES', 'Suse'],
  'opensuse-leap': ['openSUSE Leap', 'Suse'],
};

/** PID 1's name, as Ansible's service_mgr says it when systemd does not run the host. */
const INIT_NAMES: Record<string, string> = { init: 'sysvinit', 'openrc-init': 'openrc', runit: 'runit' };

export function parseHostFacts(result: ExecResult): HostFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot gather the host facts: ${result.stderr.trim() || `exit code ${result.code}`}`,
      {
        exitCode: result.code,
        stderr: result.stderr,
      },
    );
  }
  const report = parseReport(result.stdout);
  const value = (key: string) => single(report, key);
  const kernel = value('uname_r');
  if (value('end') !== '1' || kernel === undefined) {
    throw moduleFailure('cannot gather the host facts: unexpected output from the host', {
      stdout: result.stdout,
    });
  }
  const os = (key: string) => osReleaseValue(value(`os.${key}`));
  const id = os('ID') ?? 'linux';
  const likes = (os('ID_LIKE') ?? '').split(/\s+/);
  const known = DISTRIBUTIONS[id];
  const family =
    known?.[1] ??
    (likes.includes('debian') ? 'Debian' : likes.some((l) => ['rhel', 'fedora'].includes(l)) ? 'RedHat' : id);
  const version = distributionVersion(id, os('VERSION_ID'), value('debian_version'));
  const pythonPath = value('python');
  const pythonVersion = /^Python (\S+)/.exec(value('python_version') ?? '')?.[1];
  const names = hostNames(value('nodename') ?? '', value('hosts') ?? '');
  const mem = (key: string) => Math.floor(Number(value(`mem.${key}`) ?? 0) / 1024);
  return {
    distribution: known?.[0] ?? os('NAME') ?? id,
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? version,
    codename: os('VERSION_CODENAME') || os('UBUNTU_CODENAME') || debianCodename(value('debian_version')),
    os_family: family,
    architecture: value('uname_m') ?? '',
    deb_architecture: value('dpkg_arch') || null,
    kernel,
    kernel_version: value('uname_v') ?? '',
    init: value('systemd') === '1' ? 'systemd' : initName(value('pid1') ?? ''),
    container: containerKind(report),
    vm: vmKind(report),
    cpus: Number(value('nproc')) || 1,
    memory_mb: mem('MemTotal'),
    memory_available_mb: mem(report.values.has('mem.MemAvailable') ? 'MemAvailable' : 'MemFree'),
    default_ipv4: defaultRoute(report, 4),
    default_ipv6: defaultRoute(report, 6),
    ...names,
    pkg_mgr: value('pkg_mgr') ?? null,
    python:
      pythonPath === undefined
        ? { present: false }
        : { present: true, executable: pythonPath, ...(pythonVersion ? { version: pythonVersion } : {}) },
  };
}

/** An os-release value without its shell quoting (os-release(5): one word, maybe quoted). */
function osReleaseValue(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const quoted = /^"(.*)"$/.exec(text) ?? /^'(.*)'$/.exec(text);
  if (!quoted) return text;
  return text.startsWith("'") ? quoted[1] : quoted[1]!.replace(/\\([\\"$`])/g, '$1');
}

/** Debian's point release is in /etc/debian_version ("12.11"); testing says "trixie/sid". */
function distributionVersion(
  id: string,
  versionId: string | undefined,
  debianVersion: string | undefined,
): string {
  if (id === 'debian' && debianVersion && /^\d+(\.\d+)*$/.test(debianVersion)) return debianVersion;
  return versionId ?? '';
}

/** Debian testing and unstable have no VERSION_CODENAME: "trixie/sid" names the suite. */
function debianCodename(debianVersion: string | undefined): string | null {
  const match = /^([a-z]+)\/sid$/.exec(debianVersion ?? '');
  return match ? match[1]! : null;
}

function initName(pid1: string): string {
  return INIT_NAMES[pid1] ?? (pid1 || 'unknown');
}

function containerKind(report: FactReport): string | null {
  const detected = single(report, 'detect_container');
  if (detected && detected !== 'none') return detected;
  const marker = report.values.get('marker')?.find((m) => m !== '');
  return marker ?? null;
}

/** What systemd-detect-virt says, else what the firmware (DMI) and the CPU say. */
function vmKind(report: FactReport): string | null {
  const detected = single(report, 'detect_vm');
  if (detected !== undefined) return detected === 'none' || detected === '' ? null : detected;
  const vendor = single(report, 'dmi.sys_vendor') ?? '';
  const product = single(report, 'dmi.product_name') ?? '';
  if (vendor === 'Amazon EC2') return 'amazon';
  if (/^QEMU/.test(vendor)) return 'qemu';
  if (/KVM/.test(product)) return 'kvm';
  if (/VMware/.test(vendor)) return 'vmware';
  if (vendor === 'Microsoft Corporation' && /Virtual Machine/.test(product)) return 'microsoft';
  if (vendor === 'innotek GmbH') return 'oracle';
  if (vendor === 'Google') return 'google';
  if (vendor === 'Xen' || single(report, 'hypervisor') === 'xen') return 'xen';
  return single(report, 'cpu_hypervisor') === '1' ? 'vm-other' : null;
}

function defaultRoute(report: FactReport, version: 4 | 6): DefaultRoute | null {
  const route = single(report, `route${version}`);
  if (route !== undefined) {
    const dev = /\bdev (\S+)/.exec(route)?.[1];
    if (!dev) return null;
    const [address, prefix] = (single(report, `addr${version}`) ?? '').split('/');
    return {
      interface: dev,
      gateway: /\bvia (\S+)/.exec(route)?.[1] ?? null,
      address: address || null,
      prefix: prefix ? Number(prefix) : null,
    };
  }
  // Without iproute2: the kernel's tables under /proc/net.
  const proc = single(report, `proc_route${version}`);
  if (proc === undefined) return null;
  const [dev, gatewayHex] = proc.split(' ') as [string, string];
  if (version === 4) {
    const gateway = gatewayHex === '00000000' ? null : ipv4FromProc(gatewayHex);
    return { interface: dev, gateway, address: null, prefix: null };
  }
  const own = (report.values.get('proc_addr6') ?? []).map((line) => line.split(' '));
  const address = own.find(([name]) => name === dev);
  return {
    interface: dev,
    gateway: /^0+$/.test(gatewayHex) ? null : ipv6FromProc(gatewayHex),
    address: address ? ipv6FromProc(address[1]!) : null,
    prefix: address ? Number.parseInt(address[2]!, 16) : null,
  };
}

/** /proc/net/route writes addresses as little-endian hex. */
function ipv4FromProc(hex: string): string {
  const bytes = hex.match(/../g) ?? [];
  return bytes
    .reverse()
    .map((b) => Number.parseInt(b, 16))
    .join('.');
}

/** 32 hex digits, in the shortest form (RFC 5952). */
function ipv6FromProc(hex: string): string {
  const groups = (hex.match(/.{4}/g) ?? []).map((g) => Number.parseInt(g, 16).toString(16));
  let best = { at: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  const head = groups.slice(0, best.at).join(':');
  const tail = groups.slice(best.at + best.length).join(':');
  return `${head}::${tail}`;
}

/** Python's socket.getfqdn, from `getent hosts NAME`: the first of its names holding a dot. */
function hostNames(nodename: string, hostsLine: string): { hostname: string; fqdn: string; domain: string } {
  const names = hostsLine.split(/\s+/).slice(1).filter(Boolean);
  const fqdn = names.find((name) => name.includes('.')) ?? names[0] ?? nodename;
  const hostname = nodename.split('.')[0] ?? nodename;
  const dot = fqdn.indexOf('.');
  return { hostname, fqdn, domain: dot < 0 ? '' : fqdn.slice(dot + 1) };
}

/**
 * The same facts under Ansible's names, so playbooks written for Ansible read them unchanged:
 * each as `ansible_<name>` and in `ansible_facts` without the prefix.
 */
export function ansibleFactVars(facts: HostFacts): Record<string, unknown> {
  const route = (r: DefaultRoute | null) =>
    r === null
      ? {}
      : {
          interface: r.interface,
          ...(r.address === null ? {} : { address: r.address }),
          ...(r.gateway === null ? {} : { gateway: r.gateway }),
          ...(r.prefix === null ? {} : { prefix: String(r.prefix) }),
        };
  const virtualization = facts.container ?? facts.vm;
  const named: Record<string, unknown> = {
    distribution: facts.distribution,
    distribution_version: facts.distribution_version,
    distribution_major_version: facts.distribution_major_version,
    distribution_release: facts.codename ?? 'NA',
    os_family: facts.os_family,
    system: 'Linux',
    architecture: facts.architecture,
    kernel: facts.kernel,
    kernel_version: facts.kernel_version,
    service_mgr: facts.init,
    virtualization_type: virtualization ?? 'NA',
    virtualization_role: virtualization === null ? 'NA' : 'guest',
    processor_nproc: facts.cpus,
    processor_vcpus: facts.cpus,
    memtotal_mb: facts.memory_mb,
    memfree_mb: facts.memory_available_mb,
    default_ipv4: route(facts.default_ipv4),
    default_ipv6: route(facts.default_ipv6),
    hostname: facts.hostname,
    nodename: facts.hostname,
    fqdn: facts.fqdn,
    domain: facts.domain,
    pkg_mgr: facts.pkg_mgr ?? 'unknown',
    ...(facts.python.present
      ? { python: { executable: facts.python.executable, version: { full: facts.python.version ?? '' } } }
      : {}),
  };
  const vars: Record<string, unknown> = { ansible_facts: named };
  for (const [name, value] of Object.entries(named)) vars[`ansible_${name}`] = value;
  return vars;
}

/** Every variable gathering sets: for the load's check of undefined names. */
export const HOST_FACT_VARIABLES: readonly string[] = [
  'bosun_facts',
  ...Object.keys(
    ansibleFactVars({
      distribution: '',
      distribution_version: '',
      distribution_major_version: '',
      codename: null,
      os_family: '',
      architecture: '',
      deb_architecture: null,
      kernel: '',
      kernel_version: '',
      init: '',
      container: null,
      vm: null,
      cpus: 1,
      memory_mb: 0,
      memory_available_mb: 0,
      default_ipv4: null,
      default_ipv6: null,
      hostname: '',
      fqdn: '',
      domain: '',
      pkg_mgr: null,
      python: { present: true, executable: '', version: '' },
    }),
  ),
];
