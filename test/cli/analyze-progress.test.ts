/**
 * `sipwright analyze` on a terminal shows its progress on stderr and erases it; in a pipe or a log it shows
 * nothing. Run through script(1), which gives the command a real pseudo-terminal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchCapture } from '../../bench/make-capture.js';
import { ALL_RULES } from '../../src/rules/index.js';

const BIN = join(process.cwd(), 'bin', 'sipwright.js');
let dir: string;
let capture: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwright-progress-'));
  capture = join(dir, 'calls.pcap');
  // Large enough to take more than the line's silent first second, even on a fast machine.
  writeBenchCapture(capture, 60_000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('on a terminal: progress through parsing and the rules, erased before the report; the JSON is unchanged', () => {
  const json = join(dir, 'tty.json');
  // stdout to a file, so what the terminal shows is stderr alone.
  const r = spawnSync('script', ['-qec', `${quote(process.execPath)} ${quote(BIN)} analyze --json ${quote(capture)} > ${quote(json)}`, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status).toBe(0);
  const shown = r.stdout;
  // Parsing may end within the silent first second (its counts are tested in test/trace); the rules do not.
  expect(shown).toMatch(/^\r\x1b\[Ksipwright analyze: /);
  expect(shown).toContain(`sipwright analyze: checking ${ALL_RULES.length} rules: 100 %, `);
  expect(shown.endsWith('\r\x1b[K')).toBe(true);
  const piped = spawnSync(process.execPath, [BIN, 'analyze', '--json', capture], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120_000 });
  expect(piped.stderr).toBe('');
  expect(readFileSync(json, 'utf8')).toBe(piped.stdout);
}, 180_000);
