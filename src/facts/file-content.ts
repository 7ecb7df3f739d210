/**
 * A text file to edit on the controller (lineinfile, blockinfile, replace): the path's state
 * (path-state.ts), where a symbolic link leads (edits go to the file it names, as Ansible
 * does), and the whole content, encoded, in one script. Files above `limit` bytes are
 * reported, not printed.
 */
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { decodeEncoded, decodeEncodedValue, encoderScript } from './file-bytes.js';
import { type PathState, parsePathState, pathStateScript } from './path-state.js';
import { parseReport, single } from './report.js';

/** Largest file the text modules read whole (the content crosses the connection twice). */
export const MAX_EDIT_BYTES = 16 * 1024 * 1024;

export interface FileContent extends PathState {
  /** The file a symbolic link at path leads to (absolute); undefined when path is no link. */
  realPath?: string;
  /** The file's bytes (regular files within the limit). */
  bytes?: Buffer;
  /** The file is larger than the limit: its content was not read. */
  tooLarge?: boolean;
}

export function fileContentScript(path: string, limit = MAX_EDIT_BYTES): RawShell {
  const lines: RawShell[] = [
    encoderScript(),
    pathStateScript(path),
    raw(`if [ -L "$p" ]; then echo "real=$(readlink -f -- "$p" | enc | tr -d '\\n')"; fi`),
    // Last: everything after the marker is the encoded content.
    sh`if [ -f "$p" ]; then if [ "\${s##*|}" -gt ${limit} ]; then echo toolarge=1; else echo content:; enc < "$p" || exit 1; fi; fi`,
  ];
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseFileContent(result: ExecResult, path: string): FileContent {
  const { content: _encoded, binary: _binary, ...state } = parsePathState(result, path);
  const out: FileContent = state;
  const report = parseReport(result.stdout);
  const real = decodeEncodedValue(report, 'real');
  if (real !== undefined && real !== '') out.realPath = real;
  if (single(report, 'toolarge') === '1') out.tooLarge = true;
  if (report.content !== undefined) out.bytes = decodeEncoded(report, report.content);
  return out;
}
