/**
 * Speed of `sipwright analyze --json` against tshark on the same capture, as a ratio measured in the same run.
 *   npm run bench -- [--messages 200000] [--keep FILE] [--skip-tshark]
 * Prints both message counts (they must agree) and the ratio. The goal is ≥ 20× tshark. Also times the floor
 * (bench/floor.ts), the least work the analysis could do, as the bound on that ratio in this runtime.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchCapture } from './make-capture.js';

const args = process.argv.slice(2);
// An option given without its value (last, or followed by another option) takes the default.
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); const v = i >= 0 ? args[i + 1] : undefined; return v === undefined || v.startsWith('--') ? dflt : v; };
const messages = Number(opt('--messages', '200000'));
if (!Number.isInteger(messages) || messages < 1) {
  console.error(`bench: --messages must be a whole number of messages, at least 1 (got "${opt('--messages', '')}")`);
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs a command and times it. Its stderr is kept, not shown: analyze's progress line on a terminal and
 * tshark's warning about root would mix into the bench's lines. It is printed when the command fails.
 */
function timed(cmd: string, argv: string[]): Promise<{ seconds: number; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const errs: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => errs.push(c));
    p.on('error', reject);
    p.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0 && code !== 1) process.stderr.write(Buffer.concat(errs));
      resolve({ seconds, stdout: Buffer.concat(chunks).toString('utf8'), code });
    });
  });
}

/** tshark's time on the file, and the SIP messages it shows. */
async function tshark(file: string): Promise<{ seconds: number; count: number }> {
  const r = await timed('tshark', ['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code']);
  if (r.code !== 0) throw new Error(`tshark exited ${r.code} (is it installed? apt-get install tshark)`);
  // One line per frame; a frame holding several messages lists comma-separated values.
  const count = r.stdout.split('\n').filter((l) => l.trim() !== '').reduce((n, l) => n + Math.max(...l.split('\t').map((f) => (f === '' ? 0 : f.split(',').length))), 0);
  return { seconds: r.seconds, count };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sipwright-bench-'));
  const file = args.includes('--keep') ? opt('--keep', join(dir, 'bench.pcap')) : join(dir, 'bench.pcap');
  const quarterFile = join(dir, 'quarter.pcap');
  try {
    const t0 = Date.now();
    const written = writeBenchCapture(file, messages);
    console.log(`capture: ${written} SIP messages, ${(statSync(file).size / 1e6).toFixed(1)} MB, written in ${((Date.now() - t0) / 1000).toFixed(1)} s (${file})`);

    // Ours is run five times, three before tshark and two after, and the median taken: a run of seconds on
    // this shared machine varies by ±20 % over minutes, where tshark's minutes average the noise out. Runs on
    // both sides of tshark's window sample the same conditions it ran in.
    const runs: number[] = [];
    let report: { messages: unknown[]; findings: Array<{ level: string }> } | undefined;
    const runOurs = async () => {
      const r = await timed(process.execPath, [join(root, 'bin', 'sipwright.js'), 'analyze', '--json', file]);
      if (r.code !== 0 && r.code !== 1) throw new Error(`sipwright analyze exited ${r.code}`);
      report ??= JSON.parse(r.stdout) as { messages: unknown[]; findings: Array<{ level: string }> };
      runs.push(r.seconds);
    };
    const median = () => [...runs].sort((a, b) => a - b)[runs.length >> 1];
    const oursLine = () => `sipwright analyze --json: ${report!.messages.length} messages, ${report!.findings.length} findings, ${median().toFixed(2)} s (median of ${runs.map((x) => x.toFixed(2)).join(', ')} s)`;
    for (let i = 0; i < 3; i++) await runOurs();
    console.log(oursLine());

    if (args.includes('--skip-tshark')) return;
    const ts = await tshark(file);
    console.log(`tshark -Y sip -T fields:    ${ts.count} messages, ${ts.seconds.toFixed(2)} s`);
    for (let i = 0; i < 2; i++) await runOurs();
    console.log(oursLine());
    const ours = { seconds: median() };
    const ratio = ts.seconds / ours.seconds;
    console.log(`counts ${ts.count === report!.messages.length ? 'agree' : 'DIFFER'}; tshark's time / sipwright's = ${ratio.toFixed(2)} (sipwright ${ratio >= 1 ? `${ratio.toFixed(1)}× faster` : `${(1 / ratio).toFixed(1)}× slower`}; the goal is ≥ 20)`);
    if (ts.count !== report!.messages.length) process.exitCode = 1;

    // The floor (bench/floor.ts) does only what every design must: read, find each message's keys, group, write
    // the list. Its ratio bounds what any analysis in this runtime can reach on this machine.
    const floorRuns: number[] = [];
    let floorCount = 0;
    for (let i = 0; i < 3; i++) {
      const r = await timed(process.execPath, [join(root, 'dist', 'bench', 'floor-run.js'), file]);
      if (r.code !== 0) throw new Error(`bench/floor exited ${r.code}`);
      floorCount = (JSON.parse(r.stdout) as { messages: unknown[] }).messages.length;
      floorRuns.push(r.seconds);
    }
    const floor = [...floorRuns].sort((a, b) => a - b)[1];
    console.log(`floor (reader, 5 fields, grouping, JSON; no grammar, no rules): ${floorCount} messages, ${floor.toFixed(2)} s (median of ${floorRuns.map((x) => x.toFixed(2)).join(', ')} s)`);
    console.log(`tshark's time / the floor's = ${(ts.seconds / floor).toFixed(1)}: about the most any design of analyze in Node could reach here; sipwright takes ${(ours.seconds / floor).toFixed(1)}× the floor`);

    // The ratio holds only while tshark's time grows with the capture, not faster: a capture that trips a
    // slow path of one of its dissectors measures that path. (The bench capture once did: every call answered
    // from one RTP address, and tshark's time grew with the square of the calls.) A quarter of the capture
    // should take about a quarter of the time.
    writeBenchCapture(quarterFile, Math.ceil(messages / 4));
    const q = await tshark(quarterFile);
    const growth = ts.seconds / q.seconds;
    console.log(`tshark on a quarter of the messages (${q.count}): ${q.seconds.toFixed(2)} s; the whole took ${growth.toFixed(1)}× as long (4 is linear)`);
    if (growth > 6) console.log('WARNING: tshark slows down as the capture grows, so the ratio above measures its slow path, not the reading of SIP');
  } finally {
    rmSync(quarterFile, { force: true });
    // --keep FILE keeps only that file; the folder goes unless it holds it.
    if (!args.includes('--keep') || dirname(file) !== dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(`bench failed: ${(e as Error).message}`); process.exitCode = 1; });
