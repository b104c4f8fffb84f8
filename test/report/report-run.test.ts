/**
 * The reporting layer end to end, the way allure-jest tests itself: run a real (fixture) suite through
 * jest with the suites config, then read what it wrote — allure-results, junit.xml, summary.json, the
 * progress lines — generate the Allure report and look at a test page in headless Chromium.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { extractSip } from '../../src/capture/extract.js';
import { Trace } from '../../src/trace/trace.js';
import { runRules } from '../../src/rules/index.js';
import { suitesJestConfig } from '../../src/report/jest-suites-config.js';
import { generateAllureReport } from '../../src/report/allure-generate.js';
import { prepareReportDir } from '../../src/report/report-dir.js';
import type { RunSummary } from '../../src/report/summary.js';
import { Chromium } from './support/chromium.js';
import { serveDir } from './support/static-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const REPORT = join(ROOT, 'reports', 'report-test');
const VECTOR = join(ROOT, 'test/vectors/pcaps/call-invite-sdp-bye-tcp.pcap');
/** Fresh per run, so a stale result can never pass the redaction checks. */
const SECRET = `pw-${randomBytes(6).toString('hex')}`;
const PASSING = 'demo call alice calls bob and hangs up';

interface AllureAttachment { name: string; type: string; source: string }
/** allure-js leaves out `steps` on the steps that wrap an attachment. */
interface AllureStep { name: string; status?: string; steps?: AllureStep[]; attachments?: AllureAttachment[] }
interface AllureResult extends AllureStep {
  steps: AllureStep[];
  fullName: string;
  status: string;
  statusDetails?: { message?: string };
  labels: { name: string; value: string }[];
  links: { url: string; name?: string }[];
  parameters: { name: string; value: string }[];
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const results = (): AllureResult[] =>
  readdirSync(join(REPORT, 'allure-results')).filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(REPORT, 'allure-results', f), 'utf8')) as AllureResult);
const resultNamed = (name: string) => {
  const r = results().find((x) => x.fullName.endsWith(`#${name}`));
  expect(r).toBeDefined();
  return r!;
};
const attachment = (a: AllureAttachment) => readFileSync(join(REPORT, 'allure-results', a.source));
const allAttachments = (s: AllureStep): AllureAttachment[] => [...(s.attachments ?? []), ...(s.steps ?? []).flatMap(allAttachments)];
/** Every file under dir, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

let jest: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  // jest loads reporters untransformed: compile them (only them, so this test does not depend on every
  // other folder type-checking) to dist/src/report/ as `npm run build` would
  const tsc = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/report/tsconfig.reporters.json'], process.env);
  if (tsc.code !== 0) throw new Error(`compiling the reporters failed:\n${tsc.stdout}${tsc.stderr}`);

  prepareReportDir(REPORT);
  rmSync(join(REPORT, 'allure-report'), { recursive: true, force: true });
  const config = suitesJestConfig({
    rootDir: ROOT, reportDir: REPORT, suitesDir: 'test/report/fixture-suites', testFileGlob: '**/*.fixture.ts', testTimeout: 30_000,
  });
  const env: NodeJS.ProcessEnv = { ...process.env, SIPWRIGHT_REPORT_DIR: REPORT, DEMO_SECRET: SECRET, NO_COLOR: '1' };
  delete env.JEST_WORKER_ID;
  delete env.SIPWRIGHT_SECRETS; // the fixture's own addSecrets() must be what keeps the secret out
  // the CLI's path: the whole config as a JSON string on jest's command line
  jest = await run(process.execPath, ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', '--config', JSON.stringify(config)], env);
}, 240_000);

describe('a suite run through jest with the sipwright config', () => {
  test('exits 1 because a test failed, and prints a line per test and the totals', () => {
    const why = `stdout:\n${jest.stdout}\nstderr:\n${jest.stderr}`;
    expect({ code: jest.code, why }).toMatchObject({ code: 1 });
    const lines = jest.stdout.split('\n');
    expect(lines[0]).toBe(`sipwright: 1 test file, report in ${REPORT}`);
    expect(lines).toContainEqual(expect.stringMatching(/^✓ demo › demo call alice calls bob and hangs up \(\d+ ms\)$/));
    const failed = lines.findIndex((l) => /^✗ demo › demo call bob answers busy \(\d+ ms\)$/.test(l));
    expect(failed).toBeGreaterThan(0);
    expect(lines.slice(failed + 1, failed + 6)).toEqual(expect.arrayContaining(['    Expected: 486', '    Received: 200']));
    expect(lines).toContain('○ demo › demo call bob publishes his presence — skipped: the target has no presence role');
    expect(lines).toContain('1 passed, 1 failed, 1 skipped');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^report: ${REPORT} \\(allure-results, junit\\.xml, summary\\.json\\)`)));
  });

  test('allure-results: a step per SIP exchange with its messages, and the ladder, capture, scenario and log attached', () => {
    const r = resultNamed(PASSING);
    expect(r.status).toBe('passed');
    const exchanges = r.steps.filter((s) => / → /.test(s.name)).map((s) => s.name);
    expect(exchanges).toEqual(['INVITE alice → bob: 100, 180, 200', 'ACK alice → bob: no response expected', 'BYE bob → alice: 200']);
    for (const s of r.steps.filter((x) => / → /.test(x.name))) {
      expect(s.status).toBe('passed');
      const [messages] = allAttachments(s);
      expect(messages).toMatchObject({ name: 'messages', type: 'text/plain' });
      expect(attachment(messages).toString()).toContain(`${s.name.split(' ')[0]} sip:`);
    }
    const byName = Object.fromEntries(allAttachments(r).map((a) => [a.name, a]));
    expect(byName.ladder.type).toBe('text/html');
    const html = attachment(byName.ladder).toString();
    expect(html).toContain('<svg');
    expect(html).toContain('>alice</div>');
    expect(html).toContain('>bob</div>');
    expect(byName['ladder.txt'].type).toBe('text/plain');
    expect(attachment(byName['ladder.txt']).toString()).toMatch(/alice[\s\S]*bob[\s\S]*INVITE/);
    expect(byName['capture.pcap'].type).toBe('application/vnd.tcpdump.pcap');
    expect(attachment(byName['capture.pcap']).equals(readFileSync(VECTOR))).toBe(true);
    expect(byName['uac.xml'].type).toBe('application/xml');
    expect(byName['alice.log'].type).toBe('text/plain');
    expect(r.steps.find((s) => s.name === 'the INVITE gets a 200 and an ACK')?.status).toBe('passed');
    expect(r.labels).toContainEqual({ name: 'feature', value: 'demo' });
    expect(r.labels.filter((l) => l.name === 'tag')).toEqual([{ name: 'tag', value: 'RFC 3261' }]);
    expect(r.links.map((l) => l.url)).toEqual(['https://www.rfc-editor.org/rfc/rfc3261#section-13.2.2.4', 'https://www.rfc-editor.org/rfc/rfc3261#section-15.1.1']);
    expect(r.parameters).toContainEqual(expect.objectContaining({ name: 'target', value: 'reference capture' }));

    const failed = resultNamed('demo call bob answers busy');
    expect(failed.status).toBe('failed');
    expect(failed.statusDetails?.message).toContain('Expected: 486');
    expect(resultNamed('demo call bob publishes his presence').status).toBe('skipped');
  });

  test('a secret given to the helpers never reaches allure-results', () => {
    const leaks = filesUnder(join(REPORT, 'allure-results')).filter((f) => readFileSync(f).includes(SECRET));
    expect(leaks).toEqual([]);
    const byName = Object.fromEntries(allAttachments(resultNamed(PASSING)).map((a) => [a.name, a]));
    expect(attachment(byName['credentials used']).toString()).toBe('user alice password ***');
    expect(attachment(byName['alice.log']).toString()).toContain('registering alice with password ***');
    // the artifact on disk still has it (as an endpoint's own log would): finishing the report masks it, below
    expect(filesUnder(join(REPORT, 'artifacts')).some((f) => f.endsWith('alice.log') && readFileSync(f).includes(SECRET))).toBe(true);
  });

  test('junit.xml: one suite per file, a testcase per test, the failure and the skip', () => {
    const xml = readFileSync(join(REPORT, 'junit.xml'), 'utf8');
    expect(xml).toMatch(/<testsuites name="sipwright" tests="3" failures="1"/);
    expect(xml).toMatch(/<testsuite name="test\/report\/fixture-suites\/demo\/demo\.fixture\.ts" errors="0" failures="1" skipped="1"[^>]* tests="3">/);
    expect(xml).toMatch(/<testcase classname="demo call" name="alice calls bob and hangs up" time="[\d.]+" file="test\/report\/fixture-suites\/demo\/demo\.fixture\.ts">\s*<\/testcase>/);
    expect(xml).toMatch(/<testcase classname="demo call" name="bob answers busy"[^>]*>\s*<failure>[^<]*Expected: 486/);
    expect(xml).toMatch(/<testcase classname="demo call" name="bob publishes his presence"[^>]*>\s*<skipped\/>/);
  });

  test('summary.json: status, duration, failure, skip reason, the rules that fired and the artifact paths', () => {
    const s = JSON.parse(readFileSync(join(REPORT, 'summary.json'), 'utf8')) as RunSummary;
    expect(s.reportDir).toBe(REPORT);
    expect(s.totals).toEqual({ passed: 1, failed: 1, skipped: 1, total: 3 });
    expect(s.success).toBe(false);
    const by = Object.fromEntries(s.tests.map((t) => [t.fullName, t]));

    // the rules that fire on the capture, computed here independently of the fixture
    const capture = extractSip(readFileSync(VECTOR));
    const trace = Trace.fromCapture(capture, { parties: { [capture.payloads[0].src.ip]: 'alice', [capture.payloads[0].dst.ip]: 'bob' } });
    const findings = runRules(trace);
    const rules = [...new Set(findings.map((f) => f.rule))].sort();

    const pass = by[PASSING];
    expect(pass).toMatchObject({ suite: 'demo', name: 'alice calls bob and hangs up', file: 'test/report/fixture-suites/demo/demo.fixture.ts', status: 'passed', rules, findings: findings.length, target: 'reference capture' });
    expect(pass.durationMs).toBeGreaterThan(0);
    expect(pass.failureMessage).toBeUndefined();
    expect(readFileSync(join(REPORT, pass.pcap!)).equals(readFileSync(VECTOR))).toBe(true);
    expect(readFileSync(join(REPORT, pass.ladderHtml!), 'utf8')).toContain('<svg');
    expect(readFileSync(join(REPORT, pass.ladderText!), 'utf8')).toContain('INVITE');

    const fail = by['demo call bob answers busy'];
    expect(fail).toMatchObject({ status: 'failed', rules, findings: findings.length });
    expect(fail.failureMessage).toMatch(/Expected: 486\nReceived: 200$/);
    expect(fail.failureMessage).not.toMatch(/\bat /);

    expect(by['demo call bob publishes his presence']).toMatchObject({ status: 'skipped', durationMs: 0, skipReason: 'the target has no presence role', rules: [], findings: 0 });
    expect(by['demo call bob publishes his presence'].pcap).toBeUndefined();
  });
});

describe('the generated Allure report', () => {
  let reportPath = '';
  beforeAll(async () => {
    reportPath = await generateAllureReport(REPORT, { secrets: [SECRET], rootDir: ROOT });
  }, 120_000);

  test('is written to <report>/allure-report, with skip reasons, suite-first grouping and no secret anywhere in the report dir', () => {
    expect(reportPath).toBe(join(REPORT, 'allure-report'));
    expect(existsSync(join(reportPath, 'index.html'))).toBe(true);
    const skipped = resultNamed('demo call bob publishes his presence');
    expect(skipped.statusDetails?.message).toBe('skipped: the target has no presence role');
    expect(skipped.labels.filter((l) => /suite/i.test(l.name))).toEqual([{ name: 'parentSuite', value: 'demo' }, { name: 'suite', value: 'demo call' }]);
    expect(filesUnder(REPORT).filter((f) => readFileSync(f).includes(SECRET))).toEqual([]);
  });

  test('a test page shows its ladder in headless Chromium', async () => {
    const cases = readdirSync(join(reportPath, 'data', 'test-cases'))
      .map((f) => JSON.parse(readFileSync(join(reportPath, 'data', 'test-cases', f), 'utf8')) as { uid: string; name: string });
    const uid = cases.find((c) => c.name === 'alice calls bob and hangs up')?.uid;
    expect(uid).toBeDefined();

    const server = await serveDir(reportPath);
    const browser = await Chromium.launch();
    try {
      await browser.navigate(`${server.url}#testresult/${uid}`);
      const row = "[...document.querySelectorAll('.attachment-row')].find((r) => r.querySelector('.attachment-row__name')?.textContent.trim() === 'ladder')";
      await browser.waitFor(`!!${row}`, 20_000, 'the ladder attachment on the test page');
      expect(await browser.evaluate<string>('document.title')).toMatch(/Allure/);
      await browser.evaluate(`${row}.querySelector('.attachment-row__name').click(), true`);
      await browser.waitFor("!!document.querySelector('iframe.attachment-preview_html')", 10_000, 'the HTML preview frame');
      // Allure previews HTML in a sandboxed iframe, which Chromium runs in its own process: read it there
      const ladder = await waitForLadder(browser);
      expect(ladder.parties).toEqual(['alice', 'bob']);
      expect(ladder.arrows).toBe(7);
      expect(ladder.labels.slice(0, 4)).toEqual(['INVITE (SDP)', '100 Trying', '180 Ringing', '200 OK (SDP)']);
      expect(ladder.width).toBeGreaterThan(100);
      const frame = await browser.evaluate<{ width: number; height: number }>("(() => { const r = document.querySelector('iframe.attachment-preview_html').getBoundingClientRect(); return { width: r.width, height: r.height }; })()");
      expect(frame.width).toBeGreaterThan(300);
      expect(frame.height).toBeGreaterThan(100);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 90_000);
});

interface LadderView { parties: string[]; arrows: number; labels: string[]; width: number }

async function waitForLadder(browser: Chromium): Promise<LadderView> {
  const probe = `(() => {
    const svg = document.querySelector('svg');
    // Under load the frame can be read between parsing and layout: wait for a laid-out ladder.
    if (!svg || svg.getBoundingClientRect().width === 0) return null;
    return {
      parties: [...document.querySelectorAll('.party')].map((p) => p.textContent),
      arrows: document.querySelectorAll('g.arrow').length,
      labels: [...document.querySelectorAll('g.arrow')].map((g) => g.querySelector('text.label')?.textContent ?? ''),
      width: svg.getBoundingClientRect().width,
    };
  })()`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await browser.evaluateInFrames<LadderView | null>(probe)).find((v) => v !== null);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no frame on the page showed a laid-out ladder');
    await new Promise((r) => setTimeout(r, 200));
  }
}
