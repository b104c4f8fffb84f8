/**
 * The security suite's SRTP tests (suites/security/srtp.test.ts) through `sipwright run`, as a user runs them,
 * against Asterisks started here and described in target files that declare `srtp: { sdes: true, requiredBy }`:
 * they pass on one whose account `sdes` must use SRTP (media_encryption = sdes), and no key reaches the report;
 * the same Asterisk without media_encryption on that endpoint fails the 488 test, while a neighbour passes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../drivers/asterisk/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, expectControl, grep, notPassed, onTarget, RUN_LIMIT, runSuite, startAll, writeAsteriskTarget } from './support.js';

const why = asteriskUnavailable(
  'the SRTP suite tests',
  process.getuid?.() !== 0 ? 'needs root (capture)' : !['sipp', 'tcpdump'].every((c) => which(c)) ? 'needs sipp and tcpdump' : undefined,
);
const d = why ? describe.skip : describe;

/** The account whose calls must be SRTP, beside the call suites' three. */
const SDES = { user: 'sdes', password: 'sdes-target-secret' };

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

d(`SRTP suite on Asterisk through \`sipwright run\` (${why ?? imageTag('asterisk')})`, () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-srtp-'));
    block = claimAddressBlock(233);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The good PBX: `sdes` must use SRTP. The control is the same without that one line (defect: no media_encryption). */
  function pbx(sdesRequired: boolean): Asterisk {
    const a = new Asterisk(block.allocateHost())
      .withDomain('pbx.test')
      .withAccounts([...ACCOUNTS, SDES])
      .withT1(100)
      .withRtpPorts(...rtpRange(block));
    return sdesRequired ? a.withSdesRequired(SDES.user) : a;
  }

  function target(a: StartedAsterisk, name: string): string {
    return writeAsteriskTarget(dir, a, name, ['features: { echo: "600" }', `srtp: { sdes: true, requiredBy: ${SDES.user} }`], [...ACCOUNTS, SDES]);
  }

  const REFUSED = /an account that must use SRTP is refused with 488 when it offers RTP\/AVP alone/;
  /** From the PBX suite: a plain call the broken PBX still answers, so its failure is the missing SRTP alone. */
  const NEIGHBOUR = /echo: the PBX answers with an SDP answer to the offer/;

  test('pass on an Asterisk that requires SRTP of an account, and no SRTP key reaches the report', async () => {
    const a = await pbx(true).start();
    try {
      const out = join(dir, 'good');
      const r = runSuite(['security'], out, ['--target', target(a, 'srtp-pbx'), '--grep', 'SRTP with keys']);
      const srtp = r.tests.filter((t) => /SRTP with keys/.test(t.fullName ?? t.name));
      // The PBX's three pass; the proxy's one is skipped with its reason.
      expect({ out: r.code === 0 ? '' : r.out, notPassed: notPassed(srtp) }).toEqual({ out: '', notPassed: [expect.stringMatching(/^skipped: the proxy carries an SDES offer[^]*does not declare the role proxy/)] });
      expect(srtp.filter((t) => t.status === 'passed')).toHaveLength(3);
      // Keys were on the wire (masked where they stood), and none is left anywhere: pcaps, ladders, SIPp files, summary.
      const files = filesUnder(join(out, 'report'));
      const text = files.map((f) => readFileSync(f, 'latin1'));
      expect(text.some((t) => t.includes('inline:***'))).toBe(true);
      expect(files.filter((f, i) => /inline:[A-Za-z0-9+/]{16,}/.test(text[i]))).toEqual([]);
    } finally {
      await a.stop();
    }
  }, RUN_LIMIT);

  test('fail the 488 test on an Asterisk without media_encryption on that endpoint, naming it, while a plain call passes', async () => {
    const [broken] = await startAll([pbx(false).start()]);
    try {
      const r = runSuite(['security', 'pbx'], join(dir, 'broken'), ['--target', target(broken, 'broken-no-media-encryption'), ...grep([REFUSED, NEIGHBOUR])]);
      expect(r.code).toBe(1);
      expectControl(r.tests, 'broken-no-media-encryption', [REFUSED], NEIGHBOUR);
      // The verdict says what came instead of the 488: the PBX took the RTP/AVP call.
      expect(onTarget(r.tests, 'broken-no-media-encryption').find((t) => REFUSED.test(t.name))?.failureMessage).toMatch(/488[^]*200/);
    } finally {
      await broken.stop();
    }
  }, RUN_LIMIT);
});
