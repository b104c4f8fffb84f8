/** The sipwright command as a user runs it: output and exit codes (0 ok, 1 findings/invalid, 2 unreadable). */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchCapture } from '../../bench/make-capture.js';
import { analyzeCapture, toJson } from '../../src/cli/analyze.js';
import { main } from '../../src/cli/main.js';

const PCAPS = join(process.cwd(), 'test/vectors/pcaps');
const RFC4475 = join(process.cwd(), 'test/vectors/rfc4475');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { errs.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv, (s) => lines.push(s));
    return { code, out: lines.join('\n'), err: errs.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

/** tshark -Y sip frame counts (INDEX.md); each of these frames holds one message. */
const SIP_COUNTS: Record<string, number> = {
  'aaa-register-auth-invite-cancel-udp.pcap': 81, 'call-asterisk-b2bua-reinvite.pcap': 19,
  'call-b2bua-100rel-prack-update-ipv6-frag.pcap': 32, 'call-g711-register-udp-sip-only.pcap': 10,
  'call-invite-bye-ipv6-udp.pcap': 6, 'call-invite-sdp-bye-tcp.pcap': 7, 'call-tcp-in-ipip-tunnel.pcap': 4,
  'call-websocket-407-b2bua-183.pcap': 39, 'ims-volte-register-aka-subscribe-invite-gtpu-sll.pcap': 17,
  'invite-sipi-isup-sctp-sll.pcap': 4, 'neg-fuzzed-aaa.pcap': 52, 'neg-invalid-content-length.pcap': 2,
  'neg-junk-before-request.pcap': 1, 'publish-single.pcap': 1, 'register-200-tcp.pcap': 2,
  'register-401-invite-403-rawip.pcap': 8, 'register-401-tcp-to-udp-proxy-sll.pcap': 8,
  'call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng': 68, 'register-401-digest-udp.pcapng': 8,
};

test('sipwright --version prints the package version and exits 0', async () => {
  const r = await run('--version');
  expect(r.code).toBe(0);
  expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version);
});

describe('sipwright analyze', () => {
  test('covers all 19 reference captures', () => {
    expect(readdirSync(PCAPS).filter((f) => /\.pcap(ng)?$/.test(f)).sort()).toEqual(Object.keys(SIP_COUNTS).sort());
  });

  test.each(Object.entries(SIP_COUNTS))('%s --json lists the SIP messages tshark sees (%i)', async (file, count) => {
    const r = await run('analyze', '--json', join(PCAPS, file));
    expect([0, 1]).toContain(r.code);
    const j = JSON.parse(r.out);
    // Messages the parser rejects outright (junk start lines) are listed as unparsed, not dropped.
    expect(j.messages.length + j.unparsed.length).toBe(count);
    for (const m of j.messages) {
      expect(m).toEqual(expect.objectContaining({ time: expect.any(Number), src: expect.any(String), dst: expect.any(String), transport: expect.any(String) }));
      expect(m.method !== undefined || m.status !== undefined).toBe(true);
    }
    // Exit status follows the MUST-level findings.
    expect(r.code).toBe(j.findings.some((f: { level: string }) => f.level === 'MUST') ? 1 : 0);
  });

  test.each(Object.keys(SIP_COUNTS))('%s prints a ladder with one row per message and a summary', async (file) => {
    const r = await run('analyze', join(PCAPS, file));
    expect([0, 1]).toContain(r.code);
    const j = JSON.parse((await run('analyze', '--json', join(PCAPS, file))).out);
    expect(r.out.split('\n').filter((l) => /^(►)?\s*#\d+\s/.test(l))).toHaveLength(j.messages.length);
    expect(r.out).toMatch(new RegExp(`${j.messages.length} SIP messages`));
  });

  test('the IPv6 capture with unbracketed addresses fails at MUST level, naming SYN-11', async () => {
    const r = await run('analyze', join(PCAPS, 'call-invite-bye-ipv6-udp.pcap'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/MUST\s+SYN-11/);
  });

  test('--html writes a self-contained page with one arrow per message', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sw-')), 'ladder.html');
    await run('analyze', '--html', out, '--no-ladder', join(PCAPS, 'call-invite-sdp-bye-tcp.pcap'));
    const html = (await import('node:fs')).readFileSync(out, 'utf8');
    expect(html.match(/class="arrow[^"]*" data-index="\d+"/g)).toHaveLength(7);
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  test('--party names parties in the ladder', async () => {
    const r = await run('analyze', '--party', '200.57.7.195=proxy', join(PCAPS, 'call-g711-register-udp-sip-only.pcap'));
    expect(r.out).toContain('proxy');
  });

  test('a missing file exits 2 and says so', async () => {
    const r = await run('analyze', '/nonexistent/x.pcap');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read .*x\.pcap: no such file/);
  });

  test('a file that is not a capture exits 2 naming the problem', async () => {
    const r = await run('analyze', join(RFC4475, 'wsinv.dat'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a pcap or pcapng file/);
  });

  test('a truncated capture still yields what was read, with a finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-'));
    const buf = (await import('node:fs')).readFileSync(join(PCAPS, 'aaa-register-auth-invite-cancel-udp.pcap'));
    writeFileSync(join(dir, 't.pcap'), buf.subarray(0, Math.floor(buf.length / 2)));
    const r = await run('analyze', '--json', join(dir, 't.pcap'));
    const j = JSON.parse(r.out);
    expect(j.messages.length).toBeGreaterThan(10);
    expect(j.captureFindings.map((f: { message: string }) => f.message).join(' ')).toMatch(/truncat/i);
  });

  test('--json on a large capture is written in pieces, and the pieces make the same report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-'));
    try {
      const file = join(dir, 'big.pcap');
      const n = writeBenchCapture(file, 2500);
      const lines: string[] = [];
      const pieces: string[] = [];
      const code = await main(['analyze', '--json', file], (s) => lines.push(s), (s) => pieces.push(s));
      expect(code).toBe(0);
      expect(lines).toEqual([]);
      // The report, the message list in thousands, the end: nothing held whole.
      expect(pieces.length).toBeGreaterThanOrEqual(5);
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(pieces.join('').length / 2);
      const { trace, findings, capture } = analyzeCapture(file);
      expect(pieces.join('')).toBe(JSON.stringify(toJson(file, trace, findings, capture)) + '\n');
      expect(JSON.parse(pieces.join('')).messages).toHaveLength(n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a reader that closes the pipe early stops the output quietly, with the SIGPIPE status 141', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-'));
    try {
      const file = join(dir, 'big.pcap');
      writeBenchCapture(file, 2500); // about half a megabyte of JSON: more than a pipe holds
      const child = spawn(process.execPath, ['bin/sipwright.js', 'analyze', '--json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect({ code, err }).toEqual({ code: 141, err: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('a bad option value is a usage error (exit 2)', async () => {
    expect((await run('analyze', '--t1', 'abc', join(PCAPS, 'publish-single.pcap'))).code).toBe(2);
    expect((await run('analyze', '--party', 'nonsense', join(PCAPS, 'publish-single.pcap'))).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });

  test('--rules runs only the rules named, by id or family prefix, in either case', async () => {
    // The fuzzed capture breaks SYN-* rules and others: a selection must keep exactly its own findings.
    const file = join(PCAPS, 'neg-fuzzed-aaa.pcap');
    const rulesOf = async (...argv: string[]) => {
      const r = await run('analyze', '--json', ...argv, file);
      return new Set((JSON.parse(r.out) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule));
    };
    const all = await rulesOf();
    expect([...all].some((id) => id.startsWith('SYN-'))).toBe(true);
    expect([...all].some((id) => !id.startsWith('SYN-'))).toBe(true);
    expect([...await rulesOf('--rules', 'syn-')]).toEqual([...all].filter((id) => id.startsWith('SYN-')));
    const one = [...all].find((id) => id.startsWith('SYN-'))!;
    expect([...await rulesOf('--rules', ` ${one.toLowerCase()}`)]).toEqual([one]);
  });

  test('a --rules name that selects no rule is a usage error naming it, before the capture is read', async () => {
    // A mistyped id used to run no rule at all and report the capture clean (exit 0).
    const typo = await run('analyze', '--rules', 'REL-01,SYN06', join(PCAPS, 'neg-fuzzed-aaa.pcap'));
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('no rule has the id or prefix "SYN06"');
    expect(typo.err).toContain('REL-');
    // Checked first: the missing file is not what is reported.
    const first = await run('analyze', '--rules', 'NOPE', '/nonexistent/x.pcap');
    expect(first.code).toBe(2);
    expect(first.err).toContain('"NOPE"');
    const idn = await run('analyze', '--rules', 'IDN-01', join(PCAPS, 'publish-single.pcap'));
    expect(idn.code).toBe(2);
    expect(idn.err).toMatch(/IDN-01 is in the catalogue but not implemented/);
    expect((await run('analyze', '--rules', ',', join(PCAPS, 'publish-single.pcap'))).err).toMatch(/no rule ids given/);
  });
});

describe('sipwright run over TLS', () => {
  test('a target file over TLS without its CA is refused before anything starts (exit 2), saying what to add', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwright-cli-tls-'));
    const target = join(dir, 'tls.yaml');
    writeFileSync(target, 'name: tls-pbx\naddress: 127.0.0.77:5061\ntransport: tls\nroles: [registrar]\n');
    const udp = join(dir, 'udp.yaml');
    writeFileSync(udp, 'name: udp-pbx\naddress: 127.0.0.77:5060\nroles: [registrar]\n');
    const flag = await run('run', '--target', udp, '--suite', 'registration', '--transport', 'tls', '--no-allure', '--report', join(dir, 'r1'));
    const declared = await run('run', '--target', target, '--suite', 'registration', '--no-allure', '--report', join(dir, 'r2'));
    expect([flag.code, declared.code]).toEqual([2, 2]);
    expect(flag.err).toMatch(/--transport tls: the parties verify a target's certificate against a CA, and the target file names none: add tls: \{ ca: FILE \}/);
    expect(declared.err).toMatch(/tls: transport tls needs tls: \{ ca: FILE \}/);
    try {
      expect(readdirSync(dir).sort()).toEqual(['tls.yaml', 'udp.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sipwright check-message', () => {
  test('a valid torture message exits 0', async () => {
    const r = await run('check-message', join(RFC4475, 'wsinv.dat'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/INVITE request, valid/);
  });

  test('an invalid one exits 1 with the reason, its position and the rule', async () => {
    const r = await run('check-message', join(RFC4475, 'badvers.dat'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/INVALID/);
    expect(r.out).toMatch(/1:\d+ error unsupported-version: SIP version "SIP\/7\.0" is not SIP\/2\.0 \[RFC 3261/);
  });

  test('--json gives the verdict and diagnostics', async () => {
    const r = await run('check-message', '--json', join(RFC4475, 'mismatch01.dat'));
    const j = JSON.parse(r.out);
    expect(j.valid).toBe(false);
    expect(j.diagnostics.map((d: { code: string }) => d.code)).toContain('cseq-method-mismatch');
  });

  test('junk that is not SIP exits 1, an unreadable file exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-'));
    writeFileSync(join(dir, 'junk'), Buffer.from([0, 1, 2, 3, 0xff]));
    expect((await run('check-message', join(dir, 'junk'))).code).toBe(1);
    expect((await run('check-message', join(dir, 'missing'))).code).toBe(2);
  });
});

describe('the installed entry point', () => {
  test('bin/sipwright.js builds itself if needed and runs check-message', () => {
    const r = spawnSync(process.execPath, ['bin/sipwright.js', 'check-message', join(RFC4475, 'noreason.dat')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/100 response, valid/);
    expect(r.status).toBe(0);
  }, 130_000);
});
