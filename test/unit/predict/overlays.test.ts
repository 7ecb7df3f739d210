/**
 * The overlays of check mode, table-driven: each fixture (test/fixtures/predict/<fact>/<case>.yaml)
 * gives the effects earlier tasks planned, the facts the host gave, and the facts the task must
 * plan from, or the reason it cannot be predicted. Modes are written "0755", bytes as { text }.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AccountNeeds,
  overlayAuthorizedKeys,
  overlayGroupFacts,
  overlayUserFacts,
} from '../../../src/predict/accounts.js';
import { overlayCrontab } from '../../../src/predict/crontab.js';
import { describeUnknown, type Effect } from '../../../src/predict/effects.js';
import { Overlay } from '../../../src/predict/overlay.js';
import { overlayDebPackages } from '../../../src/predict/packages.js';
import {
  overlayExists,
  overlayFileContent,
  overlayFileStat,
  overlayLinkState,
  overlayPathState,
} from '../../../src/predict/paths.js';
import { PredictedState } from '../../../src/predict/state.js';
import { overlaySystemd } from '../../../src/predict/units.js';
import { parseDocument } from '../../../src/vendor/yaml.js';

const ROOT = 'test/fixtures/predict';

interface Fixture {
  description: string;
  predicted?: { task: string; taint?: string; effects: Effect[] }[];
  fact: string;
  query?: Record<string, unknown>;
  host: unknown;
  expect: { facts?: unknown; unknown?: string; value?: unknown };
}

/** "0755" modes as numbers, { text } as bytes, everywhere in a value. */
function revive(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && (key === 'mode' || key === 'umask') && /^0[0-7]+$/.test(value)) {
    return Number.parseInt(value, 8);
  }
  if (Array.isArray(value)) return value.map((item) => revive(item));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0]?.[0] === 'text' && typeof entries[0][1] === 'string') {
      return Buffer.from(entries[0][1], 'utf8');
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, revive(v, k)]));
  }
  return value;
}

/** Bytes back as { text }, so expectations read as the fixtures are written. */
function show(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { text: value.toString('utf8') };
  if (Array.isArray(value)) return value.map(show);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, show(v)]));
  }
  return value;
}

function apply(fixture: Fixture): PredictedState {
  const state = new PredictedState();
  for (const [index, step] of (fixture.predicted ?? []).entries()) {
    const by = { task: step.task, id: `fixture:${index}` };
    const effects = revive(step.effects) as Effect[];
    if (step.taint !== undefined) state.taint(effects, by, step.taint);
    else state.apply(effects, by);
  }
  return state;
}

// biome-ignore lint/suspicious/noExplicitAny: facts of every kind
type Run = (host: any, query: any, overlay: Overlay) => unknown;

const OVERLAYS: Record<string, Run> = {
  'path-state': (host, query, overlay) => overlayPathState(host, query, overlay),
  'file-content': (host, _query, overlay) => overlayFileContent(host, overlay),
  'link-state': (host, _query, overlay) => overlayLinkState(host, overlay),
  'file-stat': (host, query, overlay) => overlayFileStat(host, query.path, query.options, overlay),
  exists: (host, query, overlay) => overlayExists(host, query.pattern, query.chdir, overlay),
  'deb-packages': (host, query, overlay) => overlayDebPackages(host, query, overlay),
  user: (host, query, overlay) =>
    overlayUserFacts(
      host,
      {
        name: query.name,
        groups: query.groups ?? [],
        home: query.home,
        needs: (query.needs ?? {}) as AccountNeeds,
      },
      overlay,
    ),
  group: (host, query, overlay) => overlayGroupFacts(host, query.name, query.needGid === true, overlay),
  'authorized-keys': (host, query, overlay) => overlayAuthorizedKeys(host, query.user, query.path, overlay),
  systemd: (host, query, overlay) => overlaySystemd(host, query.name, query.needs ?? {}, overlay),
  crontab: (host, query, overlay) => overlayCrontab(host, query.user, overlay),
};

const facts = readdirSync(ROOT).sort();

it('every fact kind has an overlay and fixtures', () => {
  expect(facts).toEqual(Object.keys(OVERLAYS).sort());
});

for (const fact of facts) {
  describe(fact, () => {
    const files = readdirSync(join(ROOT, fact))
      .filter((name) => name.endsWith('.yaml'))
      .sort();
    for (const file of files) {
      const fixture = parseDocument(readFileSync(join(ROOT, fact, file), 'utf8')).toJS() as Fixture;
      it(`${file.replace(/\.yaml$/, '')}: ${fixture.description}`, () => {
        expect(fixture.fact).toBe(fact);
        const overlay = new Overlay(apply(fixture));
        const out = OVERLAYS[fact]!(revive(fixture.host), revive(fixture.query ?? {}), overlay);
        const actual: Record<string, unknown> = {};
        if (!overlay.known) actual.unknown = describeUnknown(overlay.unknowns[0]!);
        else if ('value' in fixture.expect) actual.value = out;
        else actual.facts = show(out);
        const expected = Object.fromEntries(
          Object.entries(fixture.expect).map(([key, value]) => [
            key,
            key === 'unknown' ? value : show(revive(value)),
          ]),
        );
        expect(actual).toEqual(expected);
      });
    }
  });
}
