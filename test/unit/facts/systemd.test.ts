import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSystemd, systemdScript } from '../../../src/facts/systemd.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { describeRecorded } from './recorded.js';

describeRecorded('systemd', 'parseSystemd on recorded output', (result, f) =>
  parseSystemd(result, f.unit as string | undefined, f.stale === true),
);

describe('systemdScript on this machine', () => {
  it('tells whether systemd runs this machine, with a unit name full of shell syntax', async () => {
    const unit = `x'$(touch pwned)\`touch pwned\``;
    const facts = parseSystemd(await new LocalTransport().exec(systemdScript(unit, true)), unit, true);
    expect(facts.systemd).toBe(existsSync('/run/systemd/system'));
    if (!facts.systemd) expect(facts.pid1).toMatch(/\S/);
    expect(existsSync('pwned')).toBe(false);
  });
});
