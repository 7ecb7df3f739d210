/**
 * template: a controller-side template (handlebars, rendered with the task's variables by the
 * engine) put on the host as a file: rendered on the controller, then planned and written
 * exactly as copy writes content, atomically with mode, owner, backup and validate.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError, isBosunError } from '../errors.js';
import {
  type PathState,
  type PathStateOptions,
  parsePathState,
  pathStateScript,
} from '../facts/path-state.js';
import { attributeSchemas, checkAttributeArgs } from './attributes.js';
import { copyOverlay, planCopy } from './copy.js';
import {
  backupSchema,
  checkValidateArg,
  fileKey,
  finishWrite,
  isText,
  MAX_DIFF_BYTES,
  validateSchema,
} from './file-write.js';
import type { ArgIssue, ModuleContext, ModuleDefinition } from './types.js';

const NEWLINES = { '\n': '\n', '\r\n': '\r\n', '\r': '\r' } as const;

export const TemplateArgs = Type.Object(
  {
    src: Type.String({
      minLength: 1,
      description:
        "The template on the controller (handlebars). Relative: looked for in templates/ of the role, then of the playbook folder, then as given (the role's files/ and folder, the playbook folder).",
    }),
    dest: Type.String({ minLength: 1, description: 'Path of the file on the host.' }),
    ...attributeSchemas,
    backup: backupSchema('dest', 'backup_file'),
    validate: validateSchema('dest'),
    force: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Replace dest when its content differs; false: only create it when missing.',
      }),
    ),
    newline_sequence: Type.Optional(
      Type.Union([Type.Literal('\n'), Type.Literal('\r\n'), Type.Literal('\r')], {
        default: '\n',
        description:
          "Line breaks of the template: every \\n, \\r\\n or \\r of the template file becomes this. Values are written as they are (a variable's \\r\\n stays \\r\\n).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TemplateArgs = Static<typeof TemplateArgs> & {
  /** The rendered bytes, set by prepare. */
  bytes?: Buffer;
};

export function checkTemplateArgs(args: TemplateArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (typeof args.dest === 'string' && args.dest.endsWith('/')) {
    issues.push({ key: 'dest', message: 'dest ends with / (a folder): name the file' });
  }
  return [...issues, ...checkValidateArg(args.validate), ...checkAttributeArgs(args)];
}

/** Where a relative src is looked for: templates/ first, then as given. */
export function templateCandidates(src: string): string[] {
  if (src.startsWith('/') || src.startsWith('templates/')) return [src];
  return [`templates/${src}`, src];
}

async function readTemplate(src: string, ctx: ModuleContext): Promise<{ bytes: Buffer; file: string }> {
  const misses: string[] = [];
  for (const file of templateCandidates(src)) {
    try {
      return { bytes: await ctx.readLocalFile(file), file };
    } catch (error) {
      if (!isBosunError(error, 'BOSUN_INPUT')) throw error;
      misses.push(error.message);
    }
  }
  throw new BosunError('BOSUN_INPUT', `template "${src}" not found: ${misses.join('; ')}`);
}

function stateOptions(ctx: ModuleContext): PathStateOptions {
  return ctx.diff ? { contentLimit: MAX_DIFF_BYTES } : {};
}

export const templateModule: ModuleDefinition<TemplateArgs, PathState> = {
  name: 'template',
  description: 'Render a controller template with the task variables and put it on the host, atomically.',
  schema: TemplateArgs,
  kind: 'plan',
  checkArgs: checkTemplateArgs,
  writeKey: (args) => fileKey(args.dest),
  async prepare(args, ctx) {
    const render = ctx.renderTemplate;
    if (!render) {
      throw new BosunError(
        'BOSUN_INTERNAL',
        'template: the engine gave this module no template renderer (ModuleContext.renderTemplate)',
      );
    }
    const { bytes, file } = await readTemplate(args.src, ctx);
    if (!isText(bytes)) throw new BosunError('BOSUN_INPUT', `template ${file} is not UTF-8 text`);
    // The template's own line breaks become newline_sequence before it is rendered, as Jinja
    // does; values go in as written, so a CRLF held by a variable reaches the file as CRLF.
    const newline = NEWLINES[args.newline_sequence ?? '\n'];
    const source = bytes.toString('utf8').replace(/\r\n|\r|\n/g, newline);
    return { ...args, bytes: Buffer.from(render(source, file), 'utf8') };
  },
  gather: (args, ctx) => pathStateScript(args.dest, stateOptions(ctx)),
  parse: (result, args, ctx) => parsePathState(result, args.dest, stateOptions(ctx)),
  overlay: (facts, overlay, args, ctx) => copyOverlay(facts, overlay, args.dest, stateOptions(ctx)),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'template: planned without facts');
    if (!args.bytes) throw new BosunError('BOSUN_INTERNAL', 'template: planned before rendering');
    const plan = planCopy({ dest: args.dest, ...pick(args), bytes: args.bytes }, facts, ctx);
    if (plan.result) plan.result = { ...plan.result, src: args.src };
    return plan;
  },
  finish: (_args, outputs, _ctx, plan) => finishWrite(outputs, plan.result ?? {}, String(plan.result?.dest)),
};

/** The arguments copy's planner reads. */
function pick(args: TemplateArgs) {
  const { mode, owner, group, backup, validate, force } = args;
  return Object.fromEntries(
    Object.entries({ mode, owner, group, backup, validate, force }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}
