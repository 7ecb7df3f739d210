/**
 * Where a value that gets rendered was written, so a render error found long after loading
 * (an undefined variable at run time) still points at `FILE:LINE:COL: key.path`.
 */
import { formatPosition, type KeyPath, pathText, type YamlSource } from '../model/yaml-source.js';

export type RenderLocation =
  /** A value inside a loaded YAML document: the most precise form. */
  | { source: YamlSource; path: KeyPath }
  /** A known position, with the key path below it that is being rendered. */
  | { file: string; line: number; column?: number; path?: KeyPath }
  /** No file (a `-e key=value` argument): a description stands in for the position. */
  | { label: string; path?: KeyPath };

/** The location of a part of the value at `where` (a list index or a mapping key). */
export function childLocation(where: RenderLocation, segment: string | number): RenderLocation {
  if ('source' in where) return { source: where.source, path: [...where.path, segment] };
  return { ...where, path: [...(where.path ?? []), segment] };
}

export interface LocatedText {
  /** `FILE:LINE:COL: key.path: ` (or `label: key.path: `), ready to prefix a message. */
  prefix: string;
  details: Record<string, unknown>;
}

/** The message prefix and structured details of a location. */
export function locate(where: RenderLocation): LocatedText {
  const path = where.path ?? [];
  const pathPart = path.length > 0 ? `${pathText(path)}: ` : '';
  if ('source' in where) {
    const position = where.source.positionOf(where.path);
    return { prefix: `${formatPosition(position)}: ${pathPart}`, details: { ...position, path: [...path] } };
  }
  if ('file' in where) {
    const position = { file: where.file, line: where.line, column: where.column ?? 1 };
    return { prefix: `${formatPosition(position)}: ${pathPart}`, details: { ...position, path: [...path] } };
  }
  return { prefix: `${where.label}: ${pathPart}`, details: { label: where.label, path: [...path] } };
}

/** `FILE:LINE:COL: key.path` without the trailing separator, for "needed by" notes. */
export function locationText(where: RenderLocation): string {
  return locate(where).prefix.replace(/: $/, '');
}
