import { renderTextLadder } from '../../src/trace/ladder-text.js';
import type { LadderArrow, LadderInput } from '../../src/trace/ladder-types.js';

// Terminal cells of a line, computed independently of the renderer's own width code.
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60\uFFE0-\uFFE6]|\p{Extended_Pictographic}/u;
const ZERO = /[\p{Mn}\p{Me}\u200D\uFE0F]/u;
function cells(line: string): string[] {
  const out: string[] = [];
  for (const ch of line) {
    if (ZERO.test(ch)) out[out.length - 1] += ch;
    else if (WIDE.test(ch)) out.push(ch, '');
    else out.push(ch);
  }
  return out;
}
const width = (line: string) => cells(line).length;
const lines = (s: string) => s.split('\n');
/** Cell column of every lifeline drawn on a row (plain, crossed or with a loop leaving it). */
const lifelines = (line: string) => cells(line).flatMap((c, i) => ('│┼├'.includes(c) && c !== '' ? [i] : []));

let t = 1718000000;
function arrow(from: string, to: string, label: string, extra: Partial<LadderArrow> = {}): LadderArrow {
  t += 0.01;
  return { index: 0, from, to, label, time: t, detail: `${label} detail`, ...extra };
}
function ladder(parties: string[], arrows: LadderArrow[]): LadderInput {
  return { parties, arrows: arrows.map((a, index) => ({ ...a, index })) };
}
function expectAligned(out: string): void {
  const widths = new Set(lines(out).map(width));
  expect([...widths]).toHaveLength(1);
}

/** The realistic call every reviewer should be able to read at a glance. */
function basicCall(): LadderInput {
  const t0 = 1718000000.25;
  const flow: [string, string, string, number][] = [
    ['alice', 'proxy', 'INVITE', 0],
    ['proxy', 'alice', '100 Trying', 0.004],
    ['proxy', 'bob', 'INVITE', 0.006],
    ['bob', 'proxy', '180 Ringing', 0.112],
    ['proxy', 'alice', '180 Ringing', 0.115],
    ['bob', 'proxy', '200 OK (SDP)', 2.43],
    ['proxy', 'alice', '200 OK (SDP)', 2.433],
    ['alice', 'bob', 'ACK', 2.501],
    ['bob', 'alice', 'BYE', 12.75],
    ['alice', 'bob', '200 OK', 12.752],
  ];
  const arrows: LadderArrow[] = flow.map(([from, to, label, dt], index) => ({
    index, from, to, label, time: t0 + dt, detail: `${label} …`, group: index < 8 ? 'call' : 'bye',
  }));
  arrows[9] = {
    ...arrows[9],
    mark: true,
    note: 'missing To tag',
    detail: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.30;branch=z9hG4bKbye1\r\nTo: <sip:alice@example.com>\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  };
  return { parties: ['alice', 'proxy', 'bob'], arrows };
}

describe('renderTextLadder', () => {
  test('example: a three-party call with a marked final response', () => {
    expect(renderTextLadder(basicCall())).toBe([
      '              alice             proxy              bob                  ',
      '  #0  +0.000s   │──── INVITE ────>│                 │                   ',
      '  #1  +0.004s   │<── 100 Trying ──│                 │                   ',
      '  #2  +0.006s   │                 │──── INVITE ────>│                   ',
      '  #3  +0.112s   │                 │<─ 180 Ringing ──│                   ',
      '  #4  +0.115s   │<─ 180 Ringing ──│                 │                   ',
      '  #5  +2.430s   │                 │<─ 200 OK (SDP) ─│                   ',
      '  #6  +2.433s   │<─ 200 OK (SDP) ─│                 │                   ',
      '  #7  +2.501s   │────── ACK ──────┼────────────────>│                   ',
      '  #8  +12.750s  │<────────────────┼────── BYE ──────│                   ',
      '► #9  +12.752s  │──── 200 OK ─────┼────────────────>│  !! missing To tag',
      '    │ SIP/2.0 200 OK                                                    ',
      '    │ Via: SIP/2.0/UDP 192.0.2.30;branch=z9hG4bKbye1                    ',
      '    │ To: <sip:alice@example.com>                                       ',
      '    │ CSeq: 2 BYE                                                       ',
      '    │ Content-Length: 0                                                 ',
    ].join('\n'));
  });

  test('every row has the same display width and the lifelines stay in their columns', () => {
    const out = renderTextLadder(basicCall());
    expectAligned(out);
    const rows = lines(out).slice(1, 11);
    const quiet = lifelines(rows[0]).concat(lifelines(rows[2])).filter((x, i, a) => a.indexOf(x) === i).sort((a, b) => a - b);
    expect(quiet).toHaveLength(3);
    for (const row of rows) for (const x of lifelines(row)) expect(quiet).toContain(x);
  });

  test('arrow direction: ">" just before the receiver going right, "<" just after it going left', () => {
    const out = lines(renderTextLadder(ladder(['a', 'b', 'c'], [arrow('a', 'b', 'REGISTER'), arrow('c', 'b', '401 Unauthorized')])));
    const [lanes] = [lifelines(out[1]).concat(lifelines(out[2]))].map((xs) => [...new Set(xs)].sort((x, y) => x - y));
    const right = cells(out[1]);
    expect(right[lanes[1] - 1]).toBe('>');
    expect(right).not.toContain('<');
    const left = cells(out[2]);
    expect(left[lanes[1] + 1]).toBe('<');
    expect(left).not.toContain('>');
    expect(out[1]).toContain(' REGISTER ');
    expect(out[2]).toContain(' 401 Unauthorized ');
  });

  test('an arrow spanning several columns crosses the lifelines in between', () => {
    const parties = ['ua1', 'edge', 'core', 'as', 'media', 'ua2'];
    const out = renderTextLadder(ladder(parties, [arrow('ua2', 'ua1', 'BYE'), arrow('edge', 'media', 'OPTIONS')]));
    expectAligned(out);
    const [header, bye, options] = lines(out);
    for (const p of parties) expect(header).toContain(p);
    expect(cells(bye).filter((c) => c === '┼')).toHaveLength(4);
    expect(bye.indexOf('<')).toBeLessThan(bye.indexOf('BYE'));
    expect(cells(options).filter((c) => c === '┼')).toHaveLength(2);
    expect(options.indexOf('>')).toBeGreaterThan(options.indexOf('OPTIONS'));
  });

  test('a message to oneself is drawn as a loop over two rows', () => {
    const out = renderTextLadder(ladder(['a', 'b'], [arrow('b', 'b', 'timer B'), arrow('a', 'b', 'INVITE')]));
    expectAligned(out);
    const [, out1, back, next] = lines(out);
    expect(out1).toMatch(/^#0 .*├─+ timer B ─+┐/);
    expect(back).toMatch(/^ +│ +│<─+┘/);
    expect(cells(out1).indexOf('├')).toBe(cells(back).lastIndexOf('│'));
    expect(next).toMatch(/^#1 /);
  });

  test('a marked arrow gets a marker, "!!" with its note, and its message underneath', () => {
    const marked = arrow('b', 'a', '200 OK', { mark: true, note: 'ACK-3', detail: 'SIP/2.0 200 OK\r\nTo: <sip:a@x>\r\n\r\n' });
    const input = ladder(['a', 'b'], [arrow('a', 'b', 'INVITE'), marked, arrow('a', 'b', 'ACK')]);
    const out = lines(renderTextLadder(input));
    expect(out[2]).toMatch(/^► #1 .*<─.* 200 OK .*!! ACK-3/);
    expect(out[1]).toMatch(/^ {2}#0 /);
    expect(out[3].trimEnd()).toBe('    │ SIP/2.0 200 OK');
    expect(out[4].trimEnd()).toBe('    │ To: <sip:a@x>');
    expect(out[5]).toMatch(/^ {2}#2 /);
    expectAligned(out.join('\n'));

    const terse = lines(renderTextLadder(input, { detailForMarked: false }));
    expect(terse).toHaveLength(4);
    expect(terse.join('\n')).not.toContain('To: <sip:a@x>');
  });

  test('a mark without a note still shows "!!", a note alone shows as is', () => {
    const out = lines(renderTextLadder(ladder(['a', 'b'], [arrow('a', 'b', 'INFO', { mark: true, detail: '' }), arrow('a', 'b', 'INFO', { note: 'retransmission' })])));
    expect(out[1].trimEnd()).toMatch(/│ {2}!!$/);
    expect(out[2].trimEnd()).toMatch(/│ {2}retransmission$/);
    expect(out).toHaveLength(3);
  });

  test('long labels widen the columns up to a limit, then are cut with "…"', () => {
    const long = 'INVITE sip:a-very-long-user-part-indeed@subdomain.of.a.long.domain.example.com;transport=tcp SIP/2.0';
    const medium = '183 Session Progress (SDP)';
    const out = renderTextLadder(ladder(['alice', 'bob'], [arrow('alice', 'bob', medium), arrow('bob', 'alice', long)]), { width: 80 });
    expectAligned(out);
    const [, fits, cut] = lines(out);
    expect(fits).toContain(` ${medium} `);
    expect(cut).toContain(' INVITE sip:a-very');
    expect(cut).toMatch(/… ─+│/);
    expect(width(cut)).toBeLessThanOrEqual(80);
  });

  test('long party names are cut to their column, not allowed to run into the next one', () => {
    const parties = ['registrar.example.com:5061', 'outbound-proxy-with-a-long-name', 'b2bua'];
    const out = renderTextLadder(ladder(parties, [arrow(parties[0], parties[1], 'REGISTER')]), { width: 60 });
    expectAligned(out);
    const header = lines(out)[0];
    expect(header).toContain('…');
    expect(header).toMatch(/\S +\S+… +\S/);
    expect(header).toContain('b2bua');
  });

  test('non-ASCII labels are measured in terminal cells', () => {
    const label = 'MESSAGE 日本語 ünïcödé 😀';
    const out = renderTextLadder(ladder(['東京', 'paris', 'b'], [arrow('東京', 'paris', label), arrow('paris', '東京', 'OK'), arrow('b', '東京', '488 Not Acceptable Here')]));
    expectAligned(out);
    const rows = lines(out);
    expect(rows[0]).toContain('東京');
    expect(rows[1]).toContain(` ${label} `);
    expect(lifelines(rows[1])).toEqual(lifelines(rows[2]));
  });

  test('control characters and bidi overrides cannot break the grid', () => {
    const out = renderTextLadder(ladder(['a', 'b'], [arrow('a', 'b', 'BAD\tLABEL\0\x1b[31m\u202Eevil\r\nX'), arrow('b', 'a', 'OK')]));
    expectAligned(out);
    expect(out).not.toMatch(/[\0\t\x1b\u202E\r]/);
    expect(lines(out)).toHaveLength(3);
  });

  test('many parties, one arrow between each neighbour pair', () => {
    const parties = Array.from({ length: 9 }, (_, i) => `p${i}`);
    const arrows = parties.slice(1).map((p, i) => arrow(parties[i], p, `MSG${i}`));
    const out = renderTextLadder(ladder(parties, arrows));
    expectAligned(out);
    const rows = lines(out);
    expect(rows).toHaveLength(9);
    rows.slice(1).forEach((row, i) => expect(row).toContain(` MSG${i} `));
    expect(lifelines(rows[1])).toHaveLength(9);
  });

  test('empty input: the header and a "(no messages)" line', () => {
    const out = lines(renderTextLadder({ parties: ['alice', 'bob'], arrows: [] }));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\s*alice\s+bob\s*$/);
    expect(out[1].trim()).toBe('(no messages)');
    expect(renderTextLadder({ parties: [], arrows: [] }).trim()).toBe('(no messages)');
  });

  test('the title comes first', () => {
    const out = lines(renderTextLadder({ title: 'basic call', ...ladder(['a', 'b'], [arrow('a', 'b', 'INVITE')]) }));
    expect(out[0].trimEnd()).toBe('basic call');
    expectAligned(out.join('\n'));
  });

  test('time column: relative by default, absolute UTC, or none', () => {
    const input = ladder(['a', 'b'], [arrow('a', 'b', 'X', { time: 1718000000.5 }), arrow('b', 'a', 'Y', { time: 1718000001.75 })]);
    expect(lines(renderTextLadder(input))[2]).toMatch(/^#1 {2}\+1\.250s /);
    expect(lines(renderTextLadder(input, { showTime: 'absolute' }))[2]).toMatch(/^#1 {2}06:13:21\.750 /);
    const none = lines(renderTextLadder(input, { showTime: false }));
    expect(none[2]).toMatch(/^#1 {2}│/);
    expectAligned(none.join('\n'));
  });

  test('colour adds ANSI escapes and nothing else; plain output has none', () => {
    const plain = renderTextLadder(basicCall());
    const coloured = renderTextLadder(basicCall(), { color: true });
    expect(plain).not.toContain('\x1b');
    expect(coloured).toContain('\x1b[1;31m');
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  test('a long trace renders without hitting argument-count limits', () => {
    const parties = ['a', 'b', 'c', 'd'];
    const arrows = Array.from({ length: 150_000 }, (_, i) => arrow(parties[i % 4], parties[(i + 1) % 4], 'OPTIONS'));
    const out = lines(renderTextLadder(ladder(parties, arrows)));
    expect(out).toHaveLength(150_001);
    expect(out[150_000]).toMatch(/^#149999 /);
  });

  test('an arrow naming an unlisted party gets a column instead of throwing', () => {
    const out = renderTextLadder(ladder(['a'], [arrow('a', 'ghost', 'INVITE')]));
    expect(lines(out)[0]).toContain('ghost');
    expect(lines(out)[1]).toContain('>');
  });
});
