import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imagesDir, parseBuildOutput } from '../../../src/lab/images.js';

describe('parseBuildOutput', () => {
  it('reads the two image names among other lines', () => {
    const stdout = [
      'some progress line',
      'BOSUN_SSHD_IMAGE=bosun-sshd:bookworm-af9c892e2fdc',
      'BOSUN_SYSTEMD_IMAGE=bosun-systemd:bookworm-af9c892e2fdc  ',
      '',
    ].join('\n');
    expect(parseBuildOutput(stdout)).toEqual({
      sshdImage: 'bosun-sshd:bookworm-af9c892e2fdc',
      systemdImage: 'bosun-systemd:bookworm-af9c892e2fdc',
    });
  });

  it('fails with BOSUN_LAB when a name is missing', () => {
    expect(() => parseBuildOutput('BOSUN_SSHD_IMAGE=x:y\n')).toThrow(
      expect.objectContaining({ code: 'BOSUN_LAB', message: expect.stringContaining('BOSUN_SYSTEMD_IMAGE') }),
    );
    expect(() => parseBuildOutput('BOSUN_SSHD_IMAGE=\nBOSUN_SYSTEMD_IMAGE=\n')).toThrow(/did not name/);
  });
});

describe('imagesDir', () => {
  it('finds the image recipes from this module (src/lab)', () => {
    expect(existsSync(join(imagesDir(), 'build.sh'))).toBe(true);
    expect(existsSync(join(imagesDir(), 'ensure-docker.sh'))).toBe(true);
  });
});
