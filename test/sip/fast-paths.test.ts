/**
 * The accessors that trace grouping uses (fromTag, toTag, topVia) take shortcuts on large captures; they must
 * agree with the full header parse on every real message we have.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { parseMessage } from '../../src/sip/parser.js';

const root = process.cwd();
const samples: Array<[string, Buffer]> = [];
for (const f of readdirSync(join(root, 'test/vectors/pcaps')).filter((x) => /\.pcap(ng)?$/.test(x))) {
  extractSip(readFileSync(join(root, 'test/vectors/pcaps', f))).payloads.forEach((p, i) => samples.push([`${f}#${i}`, p.bytes]));
}
for (const dir of ['rfc4475', 'rfc5118']) {
  for (const f of readdirSync(join(root, 'test/vectors', dir)).filter((x) => x.endsWith('.dat'))) samples.push([f, readFileSync(join(root, 'test/vectors', dir, f))]);
}

test.each(samples.map(([name, bytes]) => [name, bytes] as const))('%s: shortcuts equal the full parse', (_name, bytes) => {
  const quick = parseMessage(bytes).message;
  const full = parseMessage(bytes).message;
  if (!quick || !full) return expect(quick).toBe(full);
  const q = { from: quick.fromTag, to: quick.toTag, via: quick.topVia };
  const f = { from: full.from?.params.get('tag'), to: full.to?.params.get('tag'), via: full.vias[0] };
  expect(q).toEqual(f);
});

test('a display name hiding ";tag=" does not fool the shortcut', () => {
  const m = parseMessage(Buffer.from('OPTIONS sip:a@b.c SIP/2.0\r\nFrom: "x;tag=evil" <sip:a@b.c>;tag=good\r\nTo: <sip:b@b.c>\r\n\r\n')).message!;
  expect(m.fromTag).toBe('good');
  expect(m.toTag).toBeUndefined();
});
