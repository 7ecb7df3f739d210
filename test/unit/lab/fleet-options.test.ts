import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { startFleet } from '../../../src/lab/fleet.js';

// Options refused before anything is created (no Docker needed).
describe('startFleet options', () => {
  it.each([
    [{ dockerInDocker: true }, 'dockerInDocker needs systemd hosts (the engine runs as a service)'],
    [{ hosts: 51 }, 'a fleet has 0 to 50 hosts, not 51'],
  ])('refuses %j', async (options, message) => {
    const error = await startFleet(options).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_LAB')).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});
