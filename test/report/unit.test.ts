/** Unit tests of the reporting layer's pure parts; report-run.test.ts runs the whole thing through jest. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { redact, redactBytes, containsSecret, maskSdesKeys } from '../../src/report/redact.js';
import { renderTextLadder } from '../../src/trace/ladder-text.js';
import { renderHtmlLadder } from '../../src/trace/ladder-html.js';
import { sdesKey } from '../../src/ua/sdp.js';
import { flow } from '../support/flow.js';
import { artifactDir, metaIndex, metaKey, readAllMeta, testSlug, writeMeta } from '../../src/report/artifacts.js';
import { buildSummary } from '../../src/report/summary.js';
import type { JestAggregatedResult, JestTestFileResult } from '../../src/report/jest-results.js';
import { failureText } from '../../src/report/jest-results.js';
import { formatTestLine, formatTotals } from '../../src/report/progress-format.js';
import { attachFile, attachText, isAllureActive, labelTest, rfcLink, step } from '../../src/report/allure.js';
import { suitesJestConfig } from '../../src/report/jest-suites-config.js';
import { applyMeta, splitAllureFullName } from '../../src/report/finish-results.js';
import { checkJava } from '../../src/report/allure-generate.js';
import { scrubTree } from '../../src/report/scrub-results.js';
import { suiteOfFile } from '../../src/report/suite-name.js';
import { secretsFromEnv } from '../../src/report/secrets-env.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sipwright-report-unit-'));

describe('redact', () => {
  test('replaces every occurrence, longest secret first, ignores empty secrets', () => {
    expect(redact('pw=abc123 again abc123', ['abc123'])).toBe('pw=*** again ***');
    expect(redact('key abcdef', ['abc', 'abcdef'])).toBe('key ***');
    expect(redact('nothing here', ['', 'zzz'])).toBe('nothing here');
  });
  test('binary masking keeps the length, so a pcap stays well-formed', () => {
    const data = Buffer.from('\x00\x01password=s3cret;\x02s3cret', 'latin1');
    const out = redactBytes(data, ['s3cret']);
    expect(out.length).toBe(data.length);
    expect(out.toString('latin1')).toBe('\x00\x01password=******;\x02******');
    expect(data.toString('latin1')).toContain('s3cret');
    expect(redactBytes(data, ['absent'])).toBe(data);
    expect(containsSecret(out, ['s3cret'])).toBe(false);
  });
  test('SIPWRIGHT_SECRETS is a JSON array, or one secret per line', () => {
    expect(secretsFromEnv({ SIPWRIGHT_SECRETS: '["a","", "b"]' })).toEqual(['a', 'b']);
    expect(secretsFromEnv({ SIPWRIGHT_SECRETS: 'x\ny' })).toEqual(['x', 'y']);
    expect(secretsFromEnv({})).toEqual([]);
  });
  test('scrubTree masks JSON string values (even escaped ones), text and binary, and skips named folders', () => {
    const dir = tmp();
    const secret = 'pa"ss\\word';
    writeFileSync(join(dir, 'a-result.json'), JSON.stringify({ statusDetails: { message: `auth with ${secret}` } }));
    writeFileSync(join(dir, 'b.txt'), `x ${secret} y`);
    writeFileSync(join(dir, 'c.pcap'), Buffer.from(`\x00${secret}\x00`, 'latin1'));
    mkdirSync(join(dir, 'allure-report'));
    writeFileSync(join(dir, 'allure-report', 'keep.txt'), secret);
    const changed = scrubTree(dir, [secret], ['allure-report']);
    expect(changed).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(dir, 'a-result.json'), 'utf8')).statusDetails.message).toBe('auth with ***');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('x *** y');
    expect(readFileSync(join(dir, 'c.pcap')).length).toBe(secret.length + 2);
    expect(readFileSync(join(dir, 'allure-report', 'keep.txt'), 'utf8')).toBe(secret);
    rmSync(dir, { recursive: true });
  });
});

describe('artifacts', () => {
  test('slugs are readable, path-safe, stable and distinct for names that read alike', () => {
    expect(testSlug('REGISTER: 401 then 200')).toMatch(/^register-401-then-200-[0-9a-f]{8}$/);
    expect(testSlug('REGISTER: 401 then 200')).toBe(testSlug('REGISTER: 401 then 200'));
    expect(testSlug('register 401 then 200')).not.toBe(testSlug('REGISTER: 401 then 200'));
    expect(testSlug('../../etc/passwd')).not.toContain('/');
    expect(testSlug('x'.repeat(500)).length).toBeLessThan(80);
  });
  test('artifactDir stays inside <report>/artifacts/<suite>', () => {
    expect(artifactDir('/r', 'register', 'a b')).toBe(`/r/artifacts/register/${testSlug('a b')}`);
    expect(artifactDir('/r', '../../x', 'a')).toMatch(/^\/r\/artifacts\/[^/]+\/[^/]+$/);
  });
  test('writeMeta stores artifact paths relative to the report dir; readAllMeta reads them back and skips junk', () => {
    const report = tmp();
    const dir = artifactDir(report, 'register', 'suite a test');
    writeMeta(report, {
      suite: 'register', file: '/repo/suites/register/a.test.ts', fullName: 'suite a test', rules: ['SYN-07', 'DLG-07', 'SYN-07'], findings: 3,
      pcap: join(dir, 'capture.pcap'), ladderHtml: join(dir, 'ladder.html'),
    });
    writeMeta(report, { suite: 'register', file: 'suites/register/a.test.ts', fullName: 'skipped one', rules: [], findings: 0, skipReason: 'no presence role' });
    mkdirSync(join(report, 'artifacts', 'register', 'junk'), { recursive: true });
    writeFileSync(join(report, 'artifacts', 'register', 'junk', 'meta.json'), '{"suite": 1');
    const all = readAllMeta(report).sort((a, b) => a.fullName.localeCompare(b.fullName));
    expect(all).toHaveLength(2);
    expect(all[1]).toEqual({
      suite: 'register', file: '/repo/suites/register/a.test.ts', fullName: 'suite a test', rules: ['DLG-07', 'SYN-07'], findings: 3,
      pcap: `artifacts/register/${testSlug('suite a test')}/capture.pcap`, ladderHtml: `artifacts/register/${testSlug('suite a test')}/ladder.html`,
    });
    expect(all[0].skipReason).toBe('no presence role');
    // joined with jest's absolute test paths whether meta holds an absolute or a root-relative file
    const index = metaIndex(report, '/repo');
    expect(index.get(metaKey('/repo', '/repo/suites/register/a.test.ts', 'skipped one'))?.skipReason).toBe('no presence role');
    expect(index.get(metaKey('/repo', '/repo/suites/register/a.test.ts', 'suite a test'))?.findings).toBe(3);
    rmSync(report, { recursive: true });
  });
  test('a test file is in the suite named by its folder under suites/', () => {
    expect(suiteOfFile('/repo/suites/register/deep/x.test.ts', '/repo')).toBe('register');
    expect(suiteOfFile('/repo/test/report/fixture-suites/demo/d.fixture.ts', '/repo', 'test/report/fixture-suites')).toBe('demo');
    expect(suiteOfFile('/repo/other/x.test.ts', '/repo')).toBe('other');
  });
});

function fileResult(path: string, tests: Partial<JestTestFileResult['testResults'][number]>[], extra: Partial<JestTestFileResult> = {}): JestTestFileResult {
  return {
    testFilePath: path,
    perfStats: { start: 1000, end: 1500, runtime: 500 },
    testResults: tests.map((t) => ({ ancestorTitles: ['d'], title: 't', fullName: 'd t', status: 'passed', duration: 5, failureMessages: [], ...t })),
    ...extra,
  };
}

describe('summary', () => {
  const jestFailure = '\u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m\u001b[2m).toBe(\u001b[22m\u001b[32mexpected\u001b[39m\u001b[2m)\u001b[22m\n\nExpected: \u001b[32m486\u001b[39m\nReceived: \u001b[31m200\u001b[39m\n    at Object.<anonymous> (/repo/suites/call/a.test.ts:10:5)\n    at processTicks';
  test('failure messages lose colour codes and the stack', () => {
    expect(failureText([jestFailure])).toBe('expect(received).toBe(expected)\n\nExpected: 486\nReceived: 200');
    expect(failureText([])).toBeUndefined();
  });

  test('joins meta.json by file and full name; skipped, todo and failed statuses; a broken file counts as a failure', () => {
    const results: JestAggregatedResult = {
      startTime: Date.parse('2026-01-01T00:00:00Z'), success: false, numFailedTestSuites: 2, numRuntimeErrorTestSuites: 1,
      testResults: [
        fileResult('/repo/suites/call/a.test.ts', [
          { title: 'ok', fullName: 'call ok', status: 'passed', duration: 42 },
          { title: 'busy', fullName: 'call busy', status: 'failed', duration: 7, failureMessages: [jestFailure.replace('486', 'secretpw')] },
          { title: 'presence', fullName: 'call presence', status: 'pending', duration: null },
          { title: 'later', fullName: 'call later', status: 'todo' },
        ]),
        fileResult('/repo/suites/call/broken.test.ts', [], { testExecError: { message: 'Cannot find module ./nope' }, failureMessage: 'x' }),
      ],
    };
    const metas = new Map([
      [metaKey('/repo', 'suites/call/a.test.ts', 'call ok'), { suite: 'call', file: 'suites/call/a.test.ts', fullName: 'call ok', rules: ['SYN-07'], findings: 2, pcap: 'artifacts/call/ok/capture.pcap', ladderHtml: 'artifacts/call/ok/ladder.html', target: 'lab' }],
      [metaKey('/repo', '/repo/suites/call/a.test.ts', 'call presence'), { suite: 'call', file: '/repo/suites/call/a.test.ts', fullName: 'call presence', rules: [], findings: 0, skipReason: 'no presence role' }],
    ]);
    const s = buildSummary(results, metas, { rootDir: '/repo', reportDir: '/repo/reports', secrets: ['secretpw'], finishedAt: results.startTime + 900 });
    expect(s.totals).toEqual({ passed: 1, failed: 2, skipped: 2, total: 5 });
    // Grouped by target: only tests whose meta names one count there.
    expect(s.byTarget).toEqual({ lab: { passed: 1, failed: 0, skipped: 0, total: 1 } });
    expect(s.durationMs).toBe(900);
    expect(s.success).toBe(false);
    const by = Object.fromEntries(s.tests.map((t) => [t.fullName, t]));
    expect(by['call ok']).toMatchObject({ suite: 'call', name: 'ok', file: 'suites/call/a.test.ts', status: 'passed', durationMs: 42, rules: ['SYN-07'], findings: 2, pcap: 'artifacts/call/ok/capture.pcap', target: 'lab' });
    expect(by['call busy']).toMatchObject({ status: 'failed', durationMs: 7, rules: [], findings: 0 });
    expect(by['call busy'].failureMessage).toContain('Expected: ***');
    expect(by['call presence']).toMatchObject({ status: 'skipped', durationMs: 0, skipReason: 'no presence role' });
    expect(by['call later'].status).toBe('skipped');
    expect(by['suites/call/broken.test.ts']).toMatchObject({ status: 'failed', failureMessage: 'Cannot find module ./nope', suite: 'call' });
  });
});

describe('progress lines', () => {
  test('one line per test with its mark, suite, name and duration; failures indented; skips with the reason', () => {
    expect(formatTestLine({ status: 'passed', suite: 'register', fullName: 'REGISTER gets 200', durationMs: 1234 })).toBe('✓ register › REGISTER gets 200 (1.2 s)');
    expect(formatTestLine({ status: 'failed', suite: 'call', fullName: 'busy', durationMs: 12, failureMessage: 'Expected: 486\n\n\nReceived: 200' }))
      .toBe('✗ call › busy (12 ms)\n    Expected: 486\n\n    Received: 200');
    expect(formatTestLine({ status: 'skipped', suite: 'presence', fullName: 'publish', skipReason: 'no presence role' })).toBe('○ presence › publish — skipped: no presence role');
    expect(formatTestLine({ status: 'passed', suite: 's', fullName: 'n', durationMs: 3 }, true)).toBe('\u001b[32m✓\u001b[0m s › n (3 ms)');
    expect(formatTotals({ passed: 3, failed: 1, skipped: 2 })).toBe('3 passed, 1 failed, 2 skipped');
  });
});

describe('allure helpers outside the allure environment', () => {
  test('do nothing, say nothing, and never throw; step still runs its body', async () => {
    expect(isAllureActive()).toBe(false);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(step('INVITE alice → bob', () => 42)).resolves.toBe(42);
      await expect(step('async', async () => 'x')).resolves.toBe('x');
      await expect(step('fails', () => { throw new Error('wire said no'); })).rejects.toThrow('wire said no');
      await attachText('t', 'x');
      await attachFile('missing', '/nonexistent/file.pcap');
      await labelTest({ suite: 's', target: 't', rfc: 'RFC 3261 §8' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
  test('RFC references become section links', () => {
    expect(rfcLink('RFC 3261 §17.1.1')).toEqual({ rfc: 3261, section: '17.1.1', name: 'RFC 3261 §17.1.1', url: 'https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1' });
    expect(rfcLink('rfc3262 section 7.2')?.url).toBe('https://www.rfc-editor.org/rfc/rfc3262#section-7.2');
    expect(rfcLink('RFC 3261 §16.7 steps 5-6')).toEqual({ rfc: 3261, section: '16.7', name: 'RFC 3261 §16.7', url: 'https://www.rfc-editor.org/rfc/rfc3261#section-16.7' });
    expect(rfcLink('RFC 4028')).toMatchObject({ name: 'RFC 4028', url: 'https://www.rfc-editor.org/rfc/rfc4028' });
    expect(rfcLink('see the spec')).toBeUndefined();
  });
});

describe('finishing allure-results', () => {
  test('allure-jest full names split into file and jest full name', () => {
    expect(splitAllureFullName('sipwright:suites/a/b.test.ts#d t')).toEqual({ file: 'suites/a/b.test.ts', name: 'd t' });
    expect(splitAllureFullName('suites/a/b.test.ts#d t#2')).toEqual({ file: 'suites/a/b.test.ts', name: 'd t#2' });
    expect(splitAllureFullName('no hash')).toBeUndefined();
  });
  test('the suite tree starts at the conformance suite and a skip shows its reason', () => {
    const result = { status: 'skipped', labels: [{ name: 'framework', value: 'jest' }, { name: 'parentSuite', value: 'REGISTER' }, { name: 'suite', value: 'digest' }] };
    const meta = { suite: 'register', file: 'f', fullName: 'n', rules: [], findings: 0, skipReason: 'no registrar role' };
    expect(applyMeta(result, meta)).toBe(true);
    expect(result.labels).toEqual([
      { name: 'framework', value: 'jest' }, { name: 'parentSuite', value: 'register' }, { name: 'suite', value: 'REGISTER' }, { name: 'subSuite', value: 'digest' },
    ]);
    expect(result).toMatchObject({ statusDetails: { message: 'skipped: no registrar role' } });
    expect(applyMeta(result, meta)).toBe(false);
  });
});

describe('suites jest config', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
  test('is plain JSON and points at the named suites, the lab environment (allure\'s, with the worker store), its teardown and the reporters', () => {
    const c = suitesJestConfig({ rootDir: root, reportDir: '/tmp/r', suitesDir: 'test/report/fixture-suites', testFileGlob: '**/*.fixture.ts', suites: ['demo'] });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(c.testMatch).toEqual([join(root, 'test/report/fixture-suites/demo') + '/**/*.fixture.ts']);
    expect(c.testEnvironment).toBe(join(root, 'dist/src/lab/jest-environment.js'));
    expect(c.globalTeardown).toBe(join(root, 'dist/src/lab/global-teardown.js'));
    expect(c.testEnvironmentOptions.resultsDir).toBe('/tmp/r/allure-results');
    expect(c.reporters.map((r) => (Array.isArray(r) ? r[0] : r))).toEqual([
      join(root, 'dist/src/report/progress-reporter.js'), join(root, 'dist/src/report/summary-reporter.js'), 'jest-junit',
    ]);
  });
  test('an unknown suite is a usage error that lists the suites there are', () => {
    let err: unknown;
    try {
      suitesJestConfig({ rootDir: root, reportDir: '/tmp/r', suitesDir: 'test/report/fixture-suites', suites: ['nope'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.USAGE);
    expect((err as CliError).message).toBe('--suite: no suite named nope (suites: demo)');
  });
});

describe('allure generate', () => {
  test('no Java is an environment error (exit 3) that says what to install', () => {
    let err: unknown;
    try {
      checkJava({ ...process.env, JAVA_HOME: '/nonexistent-java-home' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.ENVIRONMENT);
    expect((err as CliError).message).toMatch(/apt-get install default-jre-headless/);
  });
});

describe('SRTP keys (RFC 4568 SDES) are masked like passwords, though nobody knows them in advance', () => {
  // A key of the real shape, made here: the target makes its own, so masking cannot wait for a list of secrets.
  const key = sdesKey();
  const line = `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20|1:4`;

  test('in text: the key goes, the tag, suite, lifetime and MKI stay; other "inline" words are left alone', () => {
    expect(redact(`m=audio 4000 RTP/SAVP 0\r\n${line}\r\n`, [])).toBe('m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:***|2^20|1:4\r\n');
    expect(maskSdesKeys(`a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:${key}${key};inline:${key}`)).toBe('a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:***;inline:***');
    expect(redact('Content-Disposition: inline;handling=optional', [])).toBe('Content-Disposition: inline;handling=optional');
    expect(containsSecret(line, [])).toBe(true);
    expect(containsSecret(redact(line, []), [])).toBe(false);
  });

  test('in a pcap: masked with as many * bytes, so the capture keeps its lengths', () => {
    const data = Buffer.from(`\x00\x01${line}\r\n\x02`, 'latin1');
    const out = redactBytes(data, []);
    expect(out.length).toBe(data.length);
    expect(out.toString('latin1')).toBe(`\x00\x01a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${'*'.repeat(key.length)}|2^20|1:4\r\n\x02`);
    expect(data.toString('latin1')).toContain(key);
  });

  test('in every ladder: the text ladder of a failure prints the marked message in full, cut into lines a mask after the fact would miss', () => {
    const body = ['v=0', 'o=alice 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 4000 RTP/SAVP 0', line, ''].join('\r\n');
    const trace = flow().invite('alice', 'bob', { body }).reply(488).ack().trace();
    // The wire keeps the key (the trace is the evidence); what a person reads does not.
    expect(trace.messages[0].message.bodyText).toContain(key);
    const ladder = trace.ladder({ mark: new Map([[0, 'SDES-01']]) });
    const text = renderTextLadder(ladder, { width: 60 });
    expect(text).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\*\*\*\|2\^20/);
    for (const out of [text, renderHtmlLadder(ladder, { title: 't' })]) {
      expect(out).not.toContain(key);
      expect(out).not.toContain(key.slice(-12));
    }
  });

  test('scrubTree masks them in every file of a report with no passwords at all', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'ladder.txt'), line);
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ tests: [{ failureMessage: `offer:\r\n${line}` }] }));
    writeFileSync(join(dir, 'capture.pcap'), Buffer.from(`\x00${line}\x00`, 'latin1'));
    writeFileSync(join(dir, 'plain.txt'), 'nothing to mask');
    expect(scrubTree(dir, []).map((p) => p.slice(dir.length + 1)).sort()).toEqual(['capture.pcap', 'ladder.txt', 'summary.json']);
    for (const f of ['ladder.txt', 'summary.json', 'capture.pcap']) expect(readFileSync(join(dir, f), 'latin1')).not.toContain(key);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).tests[0].failureMessage).toContain('inline:***|2^20|1:4');
    rmSync(dir, { recursive: true });
  });
});
