import { describe, expect, it } from 'vitest';
import { shellWords, splitShellWords } from '../../../src/modules/shell-words.js';

describe('splitShellWords', () => {
  it.each([
    ['ls -l /tmp', ['ls', '-l', '/tmp']],
    ['  spaced\t\tout \n', ['spaced', 'out']],
    [`echo 'single $x "q"'`, ['echo', 'single $x "q"']],
    [`echo "double 'q' \\" \\$x \\\\ \\n"`, ['echo', `double 'q' " $x \\ \\n`]],
    [`a\\ b c\\"d`, ['a b', 'c"d']],
    [`'it'\\''s'`, ["it's"]],
    [`x'y'"z"w`, ['xyzw']],
    [`'' ""`, ['', '']],
    // Not a shell: $( ) is plain text split at blanks like any other.
    ['$(rm -rf /) `id` *.conf ~ $HOME', ['$(rm', '-rf', '/)', '`id`', '*.conf', '~', '$HOME']],
    ['one \\\ntwo', ['one', 'two']],
    ['con\\\ntinued', ['continued']],
    ['"multi\nline"', ['multi\nline']],
    ['"line\\\njoined"', ['linejoined']],
    ['trailing\\', ['trailing\\']],
    ['a#b # c', ['a#b', '#', 'c']],
  ])('%j', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it('refuses unterminated quotes, naming the rest of the line', () => {
    expect(() => splitShellWords(`echo 'oops`)).toThrow(`unterminated ' quote in command: 'oops`);
    expect(() => splitShellWords(`echo "oops`)).toThrow(`unterminated " quote in command: "oops`);
  });

  it('gives the source span of each word', () => {
    const text = `make  creates="/a b" x`;
    expect(shellWords(text).map((w) => text.slice(w.start, w.end))).toEqual(['make', 'creates="/a b"', 'x']);
  });
});
