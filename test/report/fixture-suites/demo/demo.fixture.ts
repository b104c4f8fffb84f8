/**
 * A stand-in conformance suite for the reporting tests: what the lab fixture will do for a real suite
 * (artifacts on disk, meta.json, steps per SIP exchange, attachments), driven from a reference capture
 * instead of live endpoints. Named *.fixture.ts so the project's own jest run never collects it.
 */
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSip } from '../../../../src/capture/extract.js';
import { Trace } from '../../../../src/trace/trace.js';
import { renderHtmlLadder } from '../../../../src/trace/ladder-html.js';
import { renderTextLadder } from '../../../../src/trace/ladder-text.js';
import { runRules } from '../../../../src/rules/index.js';
import { addSecrets, attachFile, attachText, labelTest, step } from '../../../../src/report/allure.js';
import { artifactDir, writeMeta } from '../../../../src/report/artifacts.js';
import { reportExchanges } from '../../../../src/report/exchanges.js';
import { reportDir } from '../../../../src/report/report-dir.js';

const FILE = fileURLToPath(import.meta.url);
const PCAP = join(FILE, '../../../../vectors/pcaps/call-invite-sdp-bye-tcp.pcap');
const SUITE = 'demo';
const DESCRIBE = 'demo call';
/** A "target password": the reporting test asserts it appears nowhere in allure-results. */
const SECRET = process.env.DEMO_SECRET ?? 'hunter2-secret';
const report = reportDir();
addSecrets(SECRET);

/** What the lab fixture does after a test: capture → trace → ladders and rules on disk, meta.json, attachments. */
async function recordCall(fullName: string): Promise<Trace> {
  const dir = artifactDir(report, SUITE, fullName);
  mkdirSync(dir, { recursive: true });
  const pcap = join(dir, 'capture.pcap');
  copyFileSync(PCAP, pcap);
  const capture = extractSip(readFileSync(pcap));
  // The caller is whoever sent the first message; the reference capture has two hosts.
  const first = capture.payloads[0];
  const trace = Trace.fromCapture(capture, { parties: { [first.src.ip]: 'alice', [first.dst.ip]: 'bob' } });
  const findings = runRules(trace);
  const ladder = trace.ladder({ title: fullName });
  const ladderText = join(dir, 'ladder.txt');
  const ladderHtml = join(dir, 'ladder.html');
  writeFileSync(ladderText, renderTextLadder(ladder));
  writeFileSync(ladderHtml, renderHtmlLadder(ladder));
  const scenario = join(dir, 'uac.xml');
  writeFileSync(scenario, '<?xml version="1.0"?>\n<scenario name="uac"><send><![CDATA[INVITE sip:bob@[::1] SIP/2.0]]></send></scenario>\n');
  const log = join(dir, 'alice.log');
  writeFileSync(log, `registering alice with password ${SECRET}\nINVITE sent\n`);

  writeMeta(report, {
    suite: SUITE, file: FILE, fullName, target: 'reference capture',
    rules: findings.map((f) => f.rule), findings: findings.length,
    pcap, ladderText, ladderHtml,
  });
  await reportExchanges(trace);
  // the HTML ladder first: it is what a person opens the test page for
  await attachFile('ladder', ladderHtml, 'text/html');
  await attachFile('ladder.txt', ladderText);
  await attachFile('capture.pcap', pcap);
  await attachFile('uac.xml', scenario);
  await attachFile('alice.log', log);
  return trace;
}

describe(DESCRIBE, () => {
  test('alice calls bob and hangs up', async () => {
    await labelTest({ suite: SUITE, target: 'reference capture', rfc: ['RFC 3261 §13.2.2.4', 'RFC 3261 §15.1.1'] });
    const trace = await recordCall(`${DESCRIBE} alice calls bob and hangs up`);
    await step('the INVITE gets a 200 and an ACK', () => {
      const invite = trace.first({ method: 'INVITE', from: 'alice' });
      expect(invite).toBeDefined();
      expect(trace.responsesTo(invite!).some((r) => r.status === 200)).toBe(true);
      expect(trace.first({ method: 'ACK' })).toBeDefined();
    });
    await attachText('credentials used', `user alice password ${SECRET}`);
  });

  test('bob answers busy', async () => {
    await labelTest({ suite: SUITE, target: 'reference capture', rfc: 'RFC 3261 §21.4.24' });
    const trace = await recordCall(`${DESCRIBE} bob answers busy`);
    const invite = trace.first({ method: 'INVITE' })!;
    const final = trace.responsesTo(invite).find((r) => (r.status ?? 0) >= 200);
    expect(final?.status).toBe(486);
  });

  // The lab fixture decides at collection time, from the target's roles, that this test cannot run.
  const skipReason = 'the target has no presence role';
  writeMeta(report, { suite: SUITE, file: FILE, fullName: `${DESCRIBE} bob publishes his presence`, rules: [], findings: 0, skipReason });
  test.skip('bob publishes his presence', () => {
    throw new Error('a skipped test never runs');
  });
});
