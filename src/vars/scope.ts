/**
 * The variables one host sees, as layers in precedence order (see precedence.ts), with every
 * definition kept: the winner of each name, where it was written, and what it replaced, so
 * `bosun vars` can explain a value instead of just showing it. Scopes are immutable; adding
 * a layer (a registered result, a loop item) returns a new scope and leaves the old one valid.
 */
import type { Inventory, VarSource } from '../inventory/inventory.js';
import { formatPosition, type KeyPath, type YamlSource } from '../model/yaml-source.js';
import type { RenderLocation } from './location.js';
import { layerRank, UNTEMPLATED_LAYERS, type VarLayerName } from './precedence.js';

export interface VarValueSource {
  layer: VarLayerName;
  /** Where the value was written (`file:line:col`, with a note) or what set it. */
  source: string;
}

/** One definition of a variable, as given to a layer. */
export interface VarDefinitionInput {
  name: string;
  value: unknown;
  /** Where it was written, as shown to people; default: the layer's source. */
  source?: string;
  /** Where render errors inside the value point; default: the source text. */
  at?: RenderLocation;
}

export interface VarLayerInput {
  layer: VarLayerName;
  /** Where the layer comes from: a file, `-e`, a task's register. */
  source: string;
  /** Definitions in order, the later winning (several of one name are allowed). */
  definitions?: readonly VarDefinitionInput[];
  /** Plain values, after `definitions`. */
  values?: Readonly<Record<string, unknown>>;
  /** Per-name source of `values`. */
  sources?: Readonly<Record<string, string>>;
  /** Per-name render location of `values`. */
  locations?: Readonly<Record<string, RenderLocation>>;
  /**
   * Whether string values are templates, rendered when used. Default: every layer but facts,
   * magic vars and loop, whose values are data (a registered stdout containing `{{` stays as is).
   */
  templated?: boolean;
}

/** A definition as the scope keeps it. */
export interface VarDefinition extends VarValueSource {
  name: string;
  value: unknown;
  at: RenderLocation;
  templated: boolean;
  rank: number;
  /** Order of creation: among equal ranks, the later definition wins. */
  sequence: number;
}

export interface ExplainedVar extends VarValueSource {
  name: string;
  value: unknown;
  /** Definitions this value replaced, weakest first. */
  overridden: (VarValueSource & { value: unknown })[];
}

let sequence = 0;

function stronger(a: VarDefinition, b: VarDefinition): boolean {
  return a.rank !== b.rank ? a.rank > b.rank : a.sequence > b.sequence;
}

function compareDefinitions(a: VarDefinition, b: VarDefinition): number {
  return a.rank !== b.rank ? a.rank - b.rank : a.sequence - b.sequence;
}

function definitionsOf(input: VarLayerInput): VarDefinition[] {
  const rank = layerRank(input.layer);
  if (rank < 0) throw new RangeError(`unknown variable layer "${input.layer}"`);
  const templated = input.templated ?? !UNTEMPLATED_LAYERS.has(input.layer);
  const out: VarDefinition[] = [];
  const add = (name: string, value: unknown, source: string | undefined, at: RenderLocation | undefined) => {
    const shown = source ?? input.source;
    out.push({
      name,
      value,
      layer: input.layer,
      source: shown,
      at: at ?? { label: shown, path: [name] },
      templated,
      rank,
      sequence: sequence++,
    });
  };
  for (const d of input.definitions ?? []) add(d.name, d.value, d.source, d.at);
  for (const [name, value] of Object.entries(input.values ?? {})) {
    add(name, value, input.sources?.[name], input.locations?.[name]);
  }
  return out;
}

/** Told the name of every variable a render looks up (check mode: which results a task uses). */
export type VarReadListener = (name: string) => void;

export class VarScope {
  private plain: Record<string, unknown> | undefined;

  private constructor(
    private readonly parent: VarScope | undefined,
    /** Definitions added by this scope, weakest first. */
    private readonly own: readonly VarDefinition[],
    private readonly winners: ReadonlyMap<string, VarDefinition>,
    private readonly listener?: VarReadListener,
  ) {}

  static empty(): VarScope {
    return new VarScope(undefined, [], new Map());
  }

  /** A scope from layers in any order: precedence decides, not the order given. */
  static from(layers: readonly VarLayerInput[]): VarScope {
    return VarScope.empty().withLayers(layers);
  }

  /** This scope plus more layers (registered results, loop items, task vars). */
  withLayers(layers: readonly VarLayerInput[]): VarScope {
    const added = layers.flatMap(definitionsOf);
    if (added.length === 0) return this;
    const winners = new Map(this.winners);
    for (const definition of added) {
      const current = winners.get(definition.name);
      if (!current || stronger(definition, current)) winners.set(definition.name, definition);
    }
    added.sort(compareDefinitions);
    return new VarScope(this, added, winners, this.listener);
  }

  /** The same variables; `listener` hears each name looked up, here and in scopes made from it. */
  watched(listener: VarReadListener): VarScope {
    return new VarScope(this.parent, this.own, this.winners, listener);
  }

  with(
    layer: VarLayerName,
    source: string,
    values: Readonly<Record<string, unknown>>,
    options: Omit<VarLayerInput, 'layer' | 'source' | 'values'> = {},
  ): VarScope {
    return this.withLayers([{ ...options, layer, source, values }]);
  }

  /** The effective value (raw: templates in it are not rendered; see resolveVariable). */
  get(name: string): unknown {
    return this.winners.get(name)?.value;
  }

  has(name: string): boolean {
    return this.winners.has(name);
  }

  /** The winning definition of a name. */
  definition(name: string): VarDefinition | undefined {
    this.listener?.(name);
    return this.winners.get(name);
  }

  /** Names of every defined variable, sorted. */
  names(): string[] {
    return [...this.winners.keys()].sort();
  }

  /** Effective values as one plain object (raw, like get). */
  toObject(): Record<string, unknown> {
    if (!this.plain) {
      const out: Record<string, unknown> = {};
      for (const [name, definition] of this.winners) out[name] = definition.value;
      this.plain = out;
    }
    return this.plain;
  }

  /** Every definition of every layer, weakest first. */
  definitions(): VarDefinition[] {
    const chain: (readonly VarDefinition[])[] = [];
    for (let scope: VarScope | undefined = this; scope; scope = scope.parent) chain.push(scope.own);
    return chain.flat().sort(compareDefinitions);
  }

  /** Every effective value, its layer and source, and the definitions it replaced; by name. */
  explain(): ExplainedVar[] {
    const byName = new Map<string, VarDefinition[]>();
    for (const definition of this.definitions()) {
      const list = byName.get(definition.name);
      if (list) list.push(definition);
      else byName.set(definition.name, [definition]);
    }
    return [...byName.keys()].sort().map((name) => {
      const all = byName.get(name)!;
      const winner = all[all.length - 1]!;
      return {
        name,
        value: winner.value,
        layer: winner.layer,
        source: winner.source,
        overridden: all.slice(0, -1).map(({ value, layer, source }) => ({ value, layer, source })),
      };
    });
  }
}

/** How an inventory definition is shown: `file:line:col (group web)`. */
export function inventorySourceText(source: VarSource): string {
  const detail = source.detail ? `, ${source.detail}` : '';
  return `${formatPosition(source)} (${source.scope} ${source.name}${detail})`;
}

/**
 * A host's inventory variables as the two inventory layers, every definition kept in the
 * inventory's own order (inline `all` vars < group_vars/all < other groups < host vars...).
 */
export function inventoryLayers(inventory: Inventory, host: string): VarLayerInput[] {
  const group: VarDefinitionInput[] = [];
  const hostDefs: VarDefinitionInput[] = [];
  for (const definition of inventory.definitionsFor(host)) {
    const { source } = definition;
    const input: VarDefinitionInput = {
      name: definition.name,
      value: definition.value,
      source: inventorySourceText(source),
      at: { file: source.file, line: source.line, column: source.column, path: [definition.name] },
    };
    (source.scope === 'host' ? hostDefs : group).push(input);
  }
  return [
    { layer: 'inventory group vars', source: 'inventory', definitions: group },
    { layer: 'inventory host vars', source: 'inventory', definitions: hostDefs },
  ];
}

/**
 * The variables of a mapping inside a YAML document (play `vars:`, task `vars:`, role
 * params, a vars file) as a layer whose every value points at where it was written.
 */
export function mappingLayer(
  layer: VarLayerName,
  source: YamlSource,
  path: KeyPath,
  values: Readonly<Record<string, unknown>>,
): VarLayerInput {
  const definitions = Object.entries(values).map(([name, value]) => {
    const at = { source, path: [...path, name] };
    return { name, value, source: formatPosition(source.positionOf(at.path, 'key')), at };
  });
  return { layer, source: source.file, definitions };
}
