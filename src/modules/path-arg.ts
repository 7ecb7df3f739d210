/**
 * `path` with Ansible's aliases `dest` and `name`, as the file modules take it (file,
 * lineinfile, blockinfile, replace, stat): one of them is required, two at once is an error.
 */
import { Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import type { ArgIssue } from './types.js';

export interface PathAliasArgs {
  path?: string | undefined;
  dest?: string | undefined;
  name?: string | undefined;
}

/** `path` and its aliases `dest` and `name` (one of them is required, checked by checkPathAliases). */
export function pathAliasSchemas(description: string) {
  return {
    path: Type.Optional(Type.String({ minLength: 1, description: `${description} (aliases: dest, name).` })),
    dest: Type.Optional(Type.String({ minLength: 1, description: 'Alias of path.' })),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Alias of path.' })),
  };
}

export function pathOf(args: PathAliasArgs, module: string): string {
  const path = args.path ?? args.dest ?? args.name;
  if (path === undefined) throw new BosunError('BOSUN_INPUT', `${module}: path is required`);
  return path;
}

export function checkPathAliases(args: PathAliasArgs): ArgIssue[] {
  const given = (['path', 'dest', 'name'] as const).filter((key) => args[key] !== undefined);
  const issues: ArgIssue[] = [];
  if (given.length === 0) issues.push({ message: 'path is required' });
  if (given.length > 1) {
    issues.push({ key: given[1], message: `${given.join(' and ')} name the same argument: give one` });
  }
  return issues;
}
