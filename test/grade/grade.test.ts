/**
 * `sipwright grade` as an instructor runs it, on a class of Kamailios (one correct, three each broken in one
 * way, one whose address answers nothing, one whose target file is invalid) with the course's rubric: the
 * correct student gets full marks, each broken one loses exactly the items its defect touches with the failing
 * test named in the cell, the others get 0 with the reason. The gradebook is checked in headless Chromium;
 * `--only` re-grades one student into it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { Gradebook } from '../../src/grade/gradebook.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { embeddedNumbers } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { isAlive, liveEntries } from '../../src/runtime/process-registry.js';
import { Chromium } from '../report/support/chromium.js';
import { ACCOUNTS, ROOT, startAll } from '../suites/support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

const RUBRIC = join(ROOT, 'rubrics', 'sip-course.yaml');
const PEER_DOMAIN = 'peer.class.test';
/** The students' dial plan (exercise 10), and the numbers they send to the other domain. */
const NUMBERS = embeddedNumbers({ accounts: ACCOUNTS });
const PEER_PREFIX = '+4950';

/** Each broken student's defect and the items it must cost them (every other item: full marks). */
const BROKEN: Array<[string, string, string[]]> = [
  ['s2-noauth', 'no-auth-challenge', ['reg-challenge']],
  // A registrar that keeps one contact per AoR leaves a forking proxy nothing to fork to.
  ['s3-contacts', 'contacts-dropped', ['reg-bindings', 'fork-parallel', 'fork-timers', 'fork-sequential', 'prack-update']],
  ['s4-nofork', 'no-fork', ['fork-parallel', 'fork-timers', 'fork-sequential', 'prack-update']],
];

function grade(args: string[], timeoutMs = 600_000): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'grade', ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, JEST_WORKER_ID: undefined } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

d('sipwright grade', () => {
  let dir: string;
  let block: AddressBlock;
  let proxies: StartedKamailio[] = [];
  let book: Gradebook;
  let first: { code: number | null; out: string };
  let lateHost: string;

  /** Each proxy routes peer.class.test to an address of its own, where sipwright runs that domain's proxy. */
  const peers = new Map<string, string>();
  function target(k: { hostPort: string } | string, name: string, roles = 'registrar, proxy'): Record<string, unknown> {
    const address = typeof k === 'string' ? k : k.hostPort;
    const peer = peers.get(address);
    return {
      name, address, transport: 'udp', roles: roles.split(', '), domain: 'class.test', t1: 100,
      registrar: { minExpires: 60 }, proxy: { sequentialForking: true, ...(peer ? { peer: { domain: PEER_DOMAIN, address: `${peer}:5060`, prefix: PEER_PREFIX } } : {}) }, accounts: ACCOUNTS,
      numbers: NUMBERS,
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-grade-'));
    block = claimAddressBlock(241);
    const start = (defect?: string) => {
      const host = block.allocateHost();
      const peer = block.allocateHost();
      peers.set(`${host}:5060`, peer);
      const k = new Kamailio(host).withDomain('class.test').withAccounts(ACCOUNTS).withT1(100).withPeer(PEER_DOMAIN, peer, 5060, undefined, { prefix: PEER_PREFIX }).withNumbers(NUMBERS);
      if (defect) k.withDefects(defect as never);
      return k.start();
    };
    proxies = await startAll([start(), ...BROKEN.map(([, defect]) => start(defect))]);
    const late = (lateHost = block.allocateHost());
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\naddress: 127.0.0.1:5060\n');
    writeFileSync(join(dir, 'class.yaml'), JSON.stringify({
      students: [
        { id: 's1-good', name: 'Ada Good', target: target(proxies[0], 'ada') },
        ...BROKEN.map(([id, defect], i) => ({ id, name: `Broken ${defect}`, target: target(proxies[i + 1], id) })),
        { id: 's5-late', name: 'Late Registrar', target: target(`${late}:5060`, 'late', 'registrar') },
        { id: 's6-bad', name: 'Bad File', target: 'bad.yaml' },
      ],
    }));
    first = grade(['--rubric', RUBRIC, '--class', join(dir, 'class.yaml'), '--out', join(dir, 'out'), '--parallel', '2']);
    book = JSON.parse(readFileSync(join(dir, 'out', 'grades.json'), 'utf8')) as Gradebook;
  }, 900_000);

  afterAll(async () => {
    await Promise.all(proxies.map((k) => k.stop()));
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const student = (id: string) => book.students.find((s) => s.id === id)!;
  const lost = (id: string) => student(id).items.filter((i) => i.points < i.max).map((i) => i.id);

  test('the batch finishes with a line per student and the gradebook in three forms', () => {
    expect(first.code).toBe(0);
    for (const id of ['s1-good', 's2-noauth', 's3-contacts', 's4-nofork', 's5-late', 's6-bad']) expect(first.out).toMatch(new RegExp(`^\\[\\d/6\\] ${id} `, 'm'));
    expect(book.students.map((s) => s.id)).toEqual(['s1-good', 's2-noauth', 's3-contacts', 's4-nofork', 's5-late', 's6-bad']);
    const csv = readFileSync(join(dir, 'out', 'grades.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toMatch(/^id,name,reg-challenge,.*,total$/);
    expect(csv).toHaveLength(7);
    expect(csv[1]).toMatch(new RegExp(`^s1-good,Ada Good,.*,${student('s1-good').total}$`));
    expect(readFileSync(join(dir, 'out', 'gradebook.html'), 'utf8')).not.toContain('target-secret');
  });

  test('the correct student gets full marks, the optional items included', () => {
    expect(lost('s1-good')).toEqual([]);
    expect(student('s1-good').total).toBeGreaterThanOrEqual(student('s1-good').max);
  });

  test.each(BROKEN)('%s (%s) loses exactly the items its defect touches, each naming the failing test', (id, _defect, items) => {
    // A student who lost something else keeps the grading's evidence for the next look (the folder goes).
    if (lost(id).sort().join() !== [...items].sort().join()) cpSync(join(dir, 'out'), join(ROOT, 'reports', `grade-failed-${id}`), { recursive: true });
    expect(lost(id).sort()).toEqual([...items].sort());
    for (const item of student(id).items.filter((i) => i.points < i.max)) {
      expect(item.reason).toMatch(/failed: /);
      const failing = item.evidence.find((e) => e.status === 'failed')!;
      expect(failing.message).toBeTruthy();
      expect(failing.rfc).toMatch(/^RFC \d+/);
      expect(readFileSync(join(dir, 'out', failing.ladder!), 'utf8')).toContain('<svg');
      expect(readFileSync(join(dir, 'out', failing.pcap!)).length).toBeGreaterThan(24);
    }
  });

  test('an unreachable target and an invalid target file get 0 on every item, with the reason', () => {
    expect(student('s5-late').total).toBe(0);
    expect(student('s5-late').items.every((i) => /unreachable/.test(i.reason ?? ''))).toBe(true);
    expect(student('s6-bad').total).toBe(0);
    expect(student('s6-bad').items[0].reason).toMatch(/bad\.yaml[^]*roles/);
  });

  test('the gradebook opens in a browser, and a click on a cell shows that evidence', async () => {
    const browser = await Chromium.launch();
    try {
      await browser.navigate(pathToFileURL(join(dir, 'out', 'gradebook.html')).href);
      await browser.waitFor("document.querySelectorAll('#gradebook tbody tr').length === 6", 10_000, 'six rows');
      const cell = `document.querySelector('a[href="#s4-nofork--fork-parallel"]')`;
      expect(await browser.evaluate<string>(`${cell}.textContent`)).toBe(String(student('s4-nofork').items.find((i) => i.id === 'fork-parallel')!.points));
      expect(await browser.evaluate<boolean>(`getComputedStyle(document.getElementById('s4-nofork--fork-parallel')).display === 'none'`)).toBe(true);
      await browser.evaluate(`${cell}.click(), true`);
      await browser.waitFor(`getComputedStyle(document.getElementById('s4-nofork--fork-parallel')).display !== 'none'`, 5000, 'the evidence panel');
      const text = await browser.evaluate<string>(`document.getElementById('s4-nofork--fork-parallel').innerText`);
      expect(text).toMatch(/failed .*forks the INVITE to every contact/);
      expect(text).toMatch(/RFC 3261/);
    } finally {
      await browser.close();
    }
  }, 60_000);

  test('Ctrl-C keeps the students already graded, and leaves no run behind', async () => {
    const rubric = join(dir, 'registration-only.yaml');
    writeFileSync(rubric, 'name: registration only\nitems:\n  - { id: reg, title: Registration, points: 1, scoring: proportional, tests: [{ suite: registration }] }\n');
    const cls = join(dir, 'three.yaml');
    writeFileSync(cls, JSON.stringify({ students: [0, 1, 2].map((i) => ({ id: `c${i}`, name: `C ${i}`, target: target(proxies[i], `c${i}`) })) }));
    const outDir = join(dir, 'interrupted');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'grade', '--rubric', rubric, '--class', cls, '--out', outDir, '--parallel', '1'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JEST_WORKER_ID: undefined } });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`no student graded within 120 s:\n${out}`)), 120_000);
      const seen = (b: Buffer) => {
        out += b.toString();
        if (/^\[1\/3\] c0 /m.test(out)) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    });
    // As a terminal's Ctrl-C does: SIGINT to the command's process group (each student's run has its own).
    process.kill(-child.pid!, 'SIGINT');
    const end = await exited;
    expect(end.signal === 'SIGINT' || end.code === 130).toBe(true);
    const kept = JSON.parse(readFileSync(join(outDir, 'grades.json'), 'utf8')) as Gradebook;
    expect(kept.students.map((s) => s.id)).toEqual(['c0']);
    // Its registration tests ran (all but the one its 423 leaves for a registrar that raises the expiry).
    expect(kept.students[0].total).toBeGreaterThan(0.9);
    expect(readFileSync(join(outDir, 'grades.csv'), 'utf8').trim().split('\r\n')).toHaveLength(2);
    // Nothing of the interrupted student's run is left: no process group whose owner is gone, no run.
    expect(liveEntries().filter((e) => !isAlive(e.owner, e.ownerStart)).map((e) => e.name)).toEqual([]);
    expect(spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(cls) || l.includes(join(outDir, 'students')))).toEqual([]);
  }, 240_000);

  test('--only re-grades one student (its target now up) into the same gradebook', async () => {
    const late = await new Kamailio(lateHost).withDomain('class.test').withAccounts(ACCOUNTS).withT1(100).start();
    try {
      const r = grade(['--rubric', RUBRIC, '--class', join(dir, 'class.yaml'), '--out', join(dir, 'out'), '--only', 's5-late']);
      expect(r.code).toBe(0);
      const again = JSON.parse(readFileSync(join(dir, 'out', 'grades.json'), 'utf8')) as Gradebook;
      expect(again.students.map((s) => s.id)).toEqual(book.students.map((s) => s.id));
      for (const s of again.students.filter((x) => x.id !== 's5-late')) expect(s).toEqual(student(s.id));
      const reg = again.students.find((s) => s.id === 's5-late')!;
      // A registrar only: the registration items are earned, the proxy's lost as skipped for the role.
      expect(reg.items.find((i) => i.id === 'reg-challenge')!.points).toBe(2);
      expect(reg.items.find((i) => i.id === 'call-basic')!.reason).toMatch(/skipped: /);
    } finally {
      await late.stop();
    }
  }, 300_000);
});
