/**
 * vars/STG/secrets.yml is committed encrypted under this test password (README "Secrets");
 * operators re-key their copy with a password kept outside the repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STG_PASSWORD_FILE = join(import.meta.dirname, '../fixtures/vault/STG.password');
export const STG_TEST_PASSWORD = readFileSync(STG_PASSWORD_FILE, 'utf8').trim();
