/**
 * Every broken Kamailio config is one Kamailio accepts (`kamailio -c`, its own syntax and module check): a
 * control whose config does not load would fail its suite for the wrong reason. The unit test
 * test/config/kamailio-defects.test.ts holds the same renderings to the lines each defect declares.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAMAILIO_DEFECT_NAMES, Kamailio, renderKamailioConfig, type KamailioDefect } from '../../../drivers/kamailio/index.js';
import { which } from '../../../src/runtime/native.js';

// CI installs kamailio (scripts/test.sh): there a skip would hide the check, so the test runs and fails instead.
const missing = which('kamailio') ? undefined : 'kamailio is not installed (apt-get install kamailio)';
const run = missing && !process.env.CI ? describe.skip : describe;

run(`every Kamailio defect renders a config kamailio -c accepts${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-kamailio-defects-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const o = new Kamailio('127.0.0.9').withDomain('target.test').withAccounts([{ user: 'alice', password: 'alice-secret' }]).withT1(100).withPeer('other.test', '127.0.0.10').options;

  /** kamailio -c: exit status and output of a syntax check of the rendered config (mode 0600: it holds HA1). */
  function check(name: string, defects: KamailioDefect[]): { name: string; status: number | null; output: string } {
    const file = join(dir, `${name}.cfg`);
    writeFileSync(file, renderKamailioConfig({ ...o, defects }, { ctlSocket: join(dir, `${name}.ctl`) }), { mode: 0o600 });
    const r = spawnSync('kamailio', ['-c', '-f', file], { encoding: 'utf8', timeout: 20_000 });
    if (r.error) throw new Error(`kamailio -c could not run: ${r.error.message}${missing ? `; ${missing}` : ''}`);
    const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /ERROR|CRITICAL/.test(l));
    return { name, status: r.status, output: errors.join('\n') };
  }

  test('the good config, for comparison', () => {
    expect(check('good', [])).toEqual({ name: 'good', status: 0, output: '' });
  });

  test.each(KAMAILIO_DEFECT_NAMES)('%s', (defect) => {
    expect(check(defect, [defect])).toEqual({ name: defect, status: 0, output: '' });
  });

  test('all of them at once (defects in the same route combine)', () => {
    expect(check('all', [...KAMAILIO_DEFECT_NAMES])).toEqual({ name: 'all', status: 0, output: '' });
  });
});
