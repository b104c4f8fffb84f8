/** The progress line of long commands: silent at first, redrawn in place, erased at the end. */
import { ProgressLine } from '../../src/cli/progress-line.js';

function terminal() {
  let now = 0;
  const written: string[] = [];
  const line = (options: { after?: number; every?: number } = {}) => new ProgressLine({ isTTY: true, write: (s: string) => written.push(s) }, 'sipwright analyze', { ...options, now: () => now });
  return { line, written, at: (ms: number) => { now = ms; } };
}

test('nothing is drawn in the first second, so a small capture shows no progress at all', () => {
  const t = terminal();
  const p = t.line();
  t.at(999);
  p.count('parsing messages', 10, 20);
  p.update('grouping', true);
  p.done();
  expect(t.written).toEqual([]);
});

test('after the first second the line is redrawn in place, at most every 200 ms unless the phase changes', () => {
  const t = terminal();
  const p = t.line();
  t.at(1000);
  p.count('parsing messages', 81920, 200006);
  t.at(1100);
  p.count('parsing messages', 90112, 200006);
  t.at(1150);
  p.update('grouping 200,006 messages', true);
  t.at(2600);
  p.share('checking 191 rules', 100, 238);
  expect(t.written).toEqual([
    '\r\x1b[Ksipwright analyze: parsing messages 81,920 of 200,006 (40 %), 1 s',
    '\r\x1b[Ksipwright analyze: grouping 200,006 messages, 1 s',
    '\r\x1b[Ksipwright analyze: checking 191 rules: 42 %, 3 s',
  ]);
  p.done();
  expect(t.written.at(-1)).toBe('\r\x1b[K');
  p.done();
  expect(t.written).toHaveLength(4);
});

test('the last count is always drawn: a line never stops short of 100 %', () => {
  const t = terminal();
  const p = t.line();
  t.at(1000);
  p.share('checking 191 rules', 237, 238);
  t.at(1001);
  p.share('checking 191 rules', 238, 238);
  expect(t.written.at(-1)).toBe('\r\x1b[Ksipwright analyze: checking 191 rules: 100 %, 1 s');
});

test('forStderr gives no line when stderr is not a terminal (a log, a pipe, CI)', () => {
  const was = process.stderr.isTTY;
  try {
    process.stderr.isTTY = false;
    expect(ProgressLine.forStderr('x')).toBeUndefined();
    process.stderr.isTTY = true;
    expect(ProgressLine.forStderr('x')).toBeInstanceOf(ProgressLine);
  } finally {
    process.stderr.isTTY = was;
  }
});
