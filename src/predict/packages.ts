/**
 * Debian packages in a check run: the overlay of the package facts (dpkg's records, the age
 * of the package lists) and the effects of an install or removal as the host's simulation
 * says (deb-contents.ts): the packages, their files, their units and accounts, and what
 * their maintainer scripts may change.
 */

import type { DebEntry, DebPackage, DebPrediction } from '../facts/deb-contents.js';
import type { DebPackageFacts, DebPackageQuery, DpkgEntry } from '../facts/deb-packages.js';
import type { Effect, PathAfter } from './effects.js';
import { analyzeScripts, sysusersAccounts, tmpfilesFolders, unitInstallable } from './maintainer-scripts.js';
import type { Overlay } from './overlay.js';

/** dpkg facts after the predicted package changes. */
export function overlayDebPackages(
  facts: DebPackageFacts,
  query: DebPackageQuery,
  overlay: Overlay,
): DebPackageFacts {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const out: DebPackageFacts = { ...facts, entries: [...facts.entries] };
  const lists = state.listsRefreshed();
  if (lists) out.cacheTime = facts.now;
  const unknownSet = state.opaqueSource('packages');
  for (const queried of query.names) {
    const [name, arch] = queried.split(':') as [string, string | undefined];
    const record = state.package(name, arch ?? facts.arch);
    if (!record) {
      if (unknownSet) overlay.unknown(unknownSet, `whether ${name} is installed is not known before the run`);
      continue;
    }
    const wanted = arch ?? record.arch ?? facts.arch;
    out.entries = out.entries.filter(
      (entry) =>
        !(entry.name === name && (entry.arch === wanted || entry.arch === 'all' || entry.arch === '')),
    );
    const entry: DpkgEntry = {
      name,
      arch: record.arch === 'all' ? 'all' : wanted,
      status: record.status,
      version: record.status === 'installed' ? (record.version ?? '') : '',
    };
    out.entries.push(entry);
  }
  if (query.provides && query.provides.length > 0) {
    const provides: Record<string, string[]> = {};
    for (const [name, providers] of Object.entries(facts.provides ?? {})) provides[name] = [...providers];
    for (const { name, record } of state.predictedPackages()) {
      for (const virtual of query.provides) {
        const list = provides[virtual] ?? [];
        const has = list.includes(name);
        if (record.status === 'installed' && record.provides.includes(virtual) && !has) list.push(name);
        if (record.status !== 'installed' && has) list.splice(list.indexOf(name), 1);
        provides[virtual] = list;
      }
    }
    out.provides = provides;
  }
  if (query.candidates && query.candidates.length > 0 && lists) {
    // The host's lists are older than the ones the run fetches: only versions the simulation saw are known.
    const candidates: Record<string, string> = { ...facts.candidates };
    for (const name of query.candidates) {
      const [bare, arch] = name.split(':') as [string, string | undefined];
      const record = state.package(bare, arch ?? facts.arch);
      if (record?.status === 'installed' && record.version) candidates[name] = record.version;
      else
        overlay.unknown(
          lists,
          `the candidate version of ${bare} is known once the package lists are refreshed`,
        );
    }
    out.candidates = candidates;
  }
  if (query.autoremove && state.predictedPackages().length > 0) {
    const [first] = state.predictedPackages();
    if (first)
      overlay.unknown(first.record, 'which packages autoremove takes depends on the changes before it');
  }
  return out;
}

function pathAfter(entry: DebEntry, bytes: Buffer | undefined): PathAfter {
  const attributes = { mode: entry.mode, owner: entry.owner, group: entry.group };
  switch (entry.type) {
    case 'directory':
      return { type: 'directory', ...attributes };
    case 'file': {
      const after: PathAfter = { type: 'file', size: entry.size, ...attributes };
      if (bytes) after.bytes = bytes;
      return after;
    }
    case 'link':
      return { type: 'link', target: entry.target ?? '' };
    case 'hardlink':
      return { type: 'file', ...attributes };
    default:
      return { type: 'unknown' };
  }
}

const UNIT_DIRS = /^\/(?:usr\/)?lib\/systemd\/system\/([^/]+\.(?:service|socket|timer|path|target|mount))$/;

/** What a package that is unpacked and configured leaves on the host, as effects. */
function packageEffects(pkg: DebPackage, upgrade: boolean): Effect[] {
  const effects: Effect[] = [];
  const conffiles = new Set(pkg.conffiles);
  const shipped = new Map(pkg.entries.map((entry) => [entry.path, entry]));
  for (const entry of pkg.entries) {
    const effect: Effect = {
      kind: 'path',
      path: entry.path,
      after: pathAfter(entry, pkg.contents.get(entry.path)),
    };
    // dpkg makes a folder only where none is, and keeps a configuration file someone put there.
    if (entry.type === 'directory' || conffiles.has(entry.path)) effect.ifMissing = true;
    if (entry.type === 'hardlink') effect.why = `${entry.path} is a hard link in ${pkg.name}`;
    effects.push(effect);
  }
  const findings = analyzeScripts(pkg.scripts);
  const why = `${pkg.name}'s maintainer scripts may change it`;
  for (const path of findings.mentions) {
    const entry = shipped.get(path);
    if (entry?.type === 'directory') continue;
    if (entry?.type === 'file') {
      effects.push({ kind: 'path', path, after: { type: 'file', size: entry.size }, why });
    } else if (!entry) {
      effects.push({ kind: 'path', path, after: { type: 'unknown' }, ifMissing: true, why });
    }
  }
  for (const path of findings.helperPaths) {
    effects.push({ kind: 'path', path, after: { type: 'unknown' }, why });
  }
  for (const path of findings.folders) effects.push({ kind: 'contents', path, why });
  if (findings.tmpfiles) {
    for (const [path, bytes] of pkg.contents) {
      if (!/\/tmpfiles\.d\//.test(path)) continue;
      for (const folder of tmpfilesFolders(bytes.toString('utf8'))) {
        const { path: dir, ...attributes } = folder;
        effects.push({
          kind: 'path',
          path: dir,
          after: { type: 'directory', ...attributes },
          ifMissing: true,
          why,
        });
      }
    }
  }
  const accounts = [...findings.accounts];
  for (const [path, bytes] of pkg.contents) {
    if (/\/sysusers\.d\//.test(path)) accounts.push(...sysusersAccounts(bytes.toString('utf8')));
  }
  if (accounts.length > 0) {
    effects.push({
      kind: 'accounts',
      names: [...new Set(accounts)],
      why: `${pkg.name}'s maintainer scripts create it`,
    });
  }
  if (findings.anyAccount) {
    effects.push({
      kind: 'opaque',
      scope: 'missing-accounts',
      why: `${pkg.name}'s maintainer scripts create accounts`,
    });
  }
  if (!upgrade) {
    for (const entry of pkg.entries) {
      const name = UNIT_DIRS.exec(entry.path)?.[1];
      if (!name || entry.type !== 'file') continue;
      const bytes = pkg.contents.get(entry.path);
      if (findings.unitsUnknown) {
        // The package's own code enables or starts units as it decides (debconf, its defaults).
        const why = `${pkg.name}'s maintainer scripts decide whether ${name} is enabled and runs`;
        effects.push({ kind: 'unit', name, after: { unitFileState: null, active: null }, why });
        continue;
      }
      const enabled = findings.enables.includes(name);
      const started = findings.starts.includes(name);
      const unitFileState = enabled
        ? 'enabled'
        : bytes === undefined
          ? null
          : unitInstallable(bytes.toString('utf8'))
            ? 'disabled'
            : 'static';
      effects.push({
        kind: 'unit',
        name,
        after: { unitFileState, active: started ? null : false },
        why: started
          ? `${pkg.name}'s maintainer scripts start ${name}: whether it runs is known once it is installed`
          : `the unit file of ${name} is not known before the run`,
      });
    }
  }
  return effects;
}

/**
 * The effects of an apt change as the host simulated it; `error` when it could not (the real
 * run will say why), in which case nothing about packages, missing paths or accounts is known.
 */
export function debPredictionEffects(prediction: DebPrediction): { effects: Effect[]; error?: string } {
  const effects: Effect[] = prediction.aliases.map(([path, target]) => ({ kind: 'alias', path, target }));
  if (prediction.error !== undefined) {
    const why = `its packages could not be simulated (${prediction.error})`;
    effects.push(
      { kind: 'opaque', scope: 'packages', why },
      { kind: 'opaque', scope: 'missing-paths', why },
      { kind: 'opaque', scope: 'missing-accounts', why },
    );
    return { effects, error: prediction.error };
  }
  const described = new Map(prediction.packages.map((pkg) => [pkg.name, pkg]));
  for (const install of prediction.installs) {
    const pkg = described.get(install.name);
    const effect: Effect = {
      kind: 'package',
      name: install.name,
      arch: install.arch,
      status: 'installed',
      version: install.version,
    };
    if (pkg) {
      effect.provides = pkg.provides;
      effect.described = true;
    }
    effects.push(effect);
    if (pkg) effects.push(...packageEffects(pkg, install.upgrade === true));
  }
  const conffiles = new Set(
    prediction.removedFiles.filter((file) => file.conffile).map((file) => file.package),
  );
  for (const remove of prediction.removes) {
    effects.push({
      kind: 'package',
      name: remove.name,
      status: !remove.purge && conffiles.has(remove.name) ? 'config-files' : 'not-installed',
    });
  }
  const purged = new Set(prediction.removes.filter((item) => item.purge).map((item) => item.name));
  for (const file of prediction.removedFiles) {
    if (file.conffile && !purged.has(file.package)) continue;
    effects.push({ kind: 'path', path: file.path, after: { type: 'absent' } });
  }
  return { effects };
}
