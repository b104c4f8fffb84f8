import { renderHtmlLadder, type HtmlLadderMessage } from '../../src/trace/ladder-html.js';
import type { LadderArrow, LadderInput } from '../../src/trace/ladder-types.js';

function call(): LadderInput {
  const t0 = 1718000000;
  const flow: [string, string, string, number, string?][] = [
    ['alice', 'proxy', 'INVITE', 0, 'call'],
    ['proxy', 'alice', '100 Trying', 0.004, 'call'],
    ['proxy', 'bob', 'INVITE', 0.006, 'call'],
    ['bob', 'proxy', '200 OK', 2.43, 'call'],
    ['proxy', 'alice', '200 OK', 2.433, 'call'],
    ['alice', 'bob', 'ACK', 2.5, 'call'],
    ['proxy', 'proxy', 'timer C', 3],
    ['bob', 'alice', 'BYE', 12.75, 'bye'],
    ['alice', 'bob', '200 OK', 12.752, 'bye'],
  ];
  const arrows: LadderArrow[] = flow.map(([from, to, label, dt, group], index) => ({
    index: index + 100, from, to, label, time: t0 + dt, group,
    detail: `${label} message ${index}\r\nVia: SIP/2.0/UDP host;branch=z9hG4bK${index}\r\n\r\n`,
  }));
  arrows[8] = { ...arrows[8], mark: true, note: 'no To tag' };
  arrows[1] = { ...arrows[1], note: 'retransmission' };
  return { title: 'basic call', parties: ['alice', 'proxy', 'bob'], arrows };
}

const count = (s: string, sub: string) => s.split(sub).length - 1;
const arrowTags = (html: string) => [...html.matchAll(/<g class="([^"]*)" data-index="(\d+)" data-msg="(\d+)"/g)];
function dataBlock(html: string): HtmlLadderMessage[] {
  // A script element's text is raw: no entity decoding, so this is exactly what the page parses.
  const m = /<script type="application\/json" id="ladder-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]) as HtmlLadderMessage[];
}
function groupBody(html: string, i: number): string {
  const start = html.indexOf(`data-index="${i}"`);
  return html.slice(start, html.indexOf('</g>', start));
}

describe('renderHtmlLadder', () => {
  test('one page, one svg, one arrow group per message numbered 0..N-1', () => {
    const input = call();
    const html = renderHtmlLadder(input);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(count(html, '<svg')).toBe(1);
    expect(count(html, '</svg>')).toBe(1);
    const tags = arrowTags(html);
    expect(tags.map((m) => Number(m[2]))).toEqual(input.arrows.map((_, i) => i));
    expect(tags.map((m) => Number(m[3]))).toEqual(input.arrows.map((a) => a.index));
    expect(tags.every((m) => m[1].split(' ').includes('arrow'))).toBe(true);
    expect(count(html, '<g ')).toBe(input.arrows.length);
    expect(html).toContain('<pre id="detail">');
    for (const p of input.parties) expect(html).toContain(`>${p}</div>`);
  });

  test('labels, index and relative time are drawn on each arrow', () => {
    const html = renderHtmlLadder(call());
    expect(groupBody(html, 0)).toContain('>INVITE</text>');
    expect(groupBody(html, 0)).toContain('#100<tspan');
    expect(groupBody(html, 0)).toContain('+0.000s');
    expect(groupBody(html, 3)).toContain('+2.430s');
    expect(groupBody(html, 6)).toContain('>timer C</text>');
  });

  test('arrows point from sender to receiver', () => {
    const html = renderHtmlLadder(call());
    const shaft = (i: number) => {
      const m = /x1="([\d.]+)" y1="0" x2="([\d.]+)"/.exec(groupBody(html, i))!;
      return [Number(m[1]), Number(m[2])];
    };
    const [x1, x2] = shaft(0);
    expect(x2).toBeGreaterThan(x1);
    const [y1, y2] = shaft(1);
    expect(y2).toBeLessThan(y1);
    expect(y1).toBe(x2 + 8);
    const [b1, b2] = shaft(7);
    expect(b1).toBeGreaterThan(b2);
  });

  test('dialogs share a colour, marked arrows are red and carry their note', () => {
    const html = renderHtmlLadder(call());
    const classes = arrowTags(html).map((m) => m[1].split(' '));
    const colour = (i: number) => classes[i].find((c) => /^c\d+$/.test(c));
    expect(colour(0)).toBe(colour(5));
    expect(colour(7)).toBe(colour(8));
    expect(colour(0)).not.toBe(colour(7));
    expect(colour(6)).toBeUndefined();
    expect(classes[8]).toContain('marked');
    expect(classes.filter((c) => c.includes('marked'))).toHaveLength(1);
    expect(groupBody(html, 8)).toContain('class="note"');
    expect(groupBody(html, 8)).toContain('!! no To tag');
    expect(groupBody(html, 1)).toContain('>retransmission</text>');
    expect(html).toMatch(/\.arrow\.marked\{color:#d62728/);
  });

  test('the JSON block gives every message back unchanged', () => {
    const input = call();
    const data = dataBlock(renderHtmlLadder(input));
    expect(data.map((d) => d.detail)).toEqual(input.arrows.map((a) => a.detail));
    expect(data.map((d) => d.index)).toEqual(input.arrows.map((a) => a.index));
    expect(data[8].summary).toContain('bob');
    expect(data[8].summary).toContain('no To tag');
  });

  test('wire text cannot inject markup: labels, names, title and details are escaped', () => {
    const hostile = '</script><script>alert(1)</script><!-- <sip:x@y> & \u2028 \0';
    const input: LadderInput = {
      title: '</title><img src=x>',
      parties: ['<b>a</b>', 'b&c'],
      arrows: [
        { index: 0, from: '<b>a</b>', to: 'b&c', label: '200 OK <sip:x@y>&amp;', time: 1, detail: hostile, note: '<i>n</i>', mark: true },
        { index: 1, from: 'b&c', to: '<b>a</b>', label: 'ACK', time: 2, detail: '\u00ff\ud800 bytes' },
      ],
    };
    const html = renderHtmlLadder(input);
    expect(count(html, '<script')).toBe(2);
    expect(count(html, '</script>')).toBe(2);
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('<sip:');
    expect(html).not.toMatch(/<(b|i|img)[ >]/);
    expect(html).toContain('200 OK &lt;sip:x@y&gt;&amp;amp;');
    expect(html).toContain('&lt;b&gt;a&lt;/b&gt;');
    expect(html).toContain('b&amp;c');
    expect(html).toContain('<title>&lt;/title&gt;&lt;img src=x&gt;</title>');
    expect(html).not.toContain('\0');
    expect(dataBlock(html).map((d) => d.detail)).toEqual([hostile, '\u00ff\ud800 bytes']);
  });

  test('self-contained: nothing is fetched', () => {
    const html = renderHtmlLadder(call());
    expect(html).not.toMatch(/\b(src|href)\s*=|url\(|@import|<link\b/i);
    expect(html).toContain('<style>');
  });

  test('zero arrows still make a valid page', () => {
    const html = renderHtmlLadder({ parties: ['alice', 'bob'], arrows: [] }, { title: 'nothing' });
    expect(count(html, '<svg')).toBe(1);
    expect(arrowTags(html)).toHaveLength(0);
    expect(html).toContain('(no messages)');
    expect(html).toContain('<title>nothing</title>');
    expect(dataBlock(html)).toEqual([]);
    const dom = fakeDom(html);
    expect(dom.detail.textContent).toBe('');
  });

  test('thousands of arrows: quick, and a handful of elements per arrow', () => {
    const parties = ['a', 'b', 'c', 'd', 'e', 'f'];
    const arrows: LadderArrow[] = Array.from({ length: 5000 }, (_, i) => ({
      index: i, from: parties[i % 6], to: parties[(i * 7 + 1) % 6], label: i % 2 ? 'INVITE' : '200 OK',
      time: i / 10, detail: `message ${i}\r\n`, group: `g${i % 13}`,
    }));
    const started = Date.now();
    const html = renderHtmlLadder({ parties, arrows });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(arrowTags(html)).toHaveLength(5000);
    for (const i of [0, 2500, 4999]) expect(groupBody(html, i).match(/<[a-z]/g)!.length).toBeLessThanOrEqual(7);
    expect(dataBlock(html)[4999].detail).toBe('message 4999\r\n');
  });

  describe('page script (run against a stand-in DOM built from the page)', () => {
    test('opens on the first marked message', () => {
      const dom = fakeDom(renderHtmlLadder(call()));
      expect(dom.detail.textContent).toBe(call().arrows[8].detail);
      expect(dom.meta.textContent).toContain('#108');
      expect(dom.selected()).toEqual([8]);
    });

    test('click shows the message, arrow keys move, n/p jump between marks', () => {
      const input = call();
      input.arrows[2] = { ...input.arrows[2], mark: true };
      const dom = fakeDom(renderHtmlLadder(input));
      expect(dom.selected()).toEqual([2]);
      dom.click(4);
      expect(dom.detail.textContent).toBe(input.arrows[4].detail);
      expect(dom.selected()).toEqual([4]);
      dom.key('ArrowDown');
      expect(dom.detail.textContent).toBe(input.arrows[5].detail);
      dom.key('ArrowUp');
      dom.key('ArrowUp');
      expect(dom.selected()).toEqual([3]);
      dom.key('n');
      expect(dom.selected()).toEqual([8]);
      dom.key('p');
      expect(dom.selected()).toEqual([2]);
      dom.key('ArrowUp');
      dom.key('ArrowUp');
      dom.key('ArrowUp');
      expect(dom.selected()).toEqual([0]);
    });
  });
});

/**
 * Just enough DOM for the page script: the arrow groups as they appear in the markup, the data
 * block's raw text, and the panel. A browser-driven test can use the same ids and attributes.
 */
function fakeDom(html: string) {
  type Listener = (e: unknown) => void;
  const groups = arrowTags(html).map((m) => {
    const classes = new Set(m[1].split(' '));
    return {
      index: Number(m[2]),
      classList: { add: (c: string) => classes.add(c), remove: (c: string) => classes.delete(c), contains: (c: string) => classes.has(c) },
      getAttribute: (name: string) => (name === 'data-index' ? m[2] : null),
      scrollIntoView: () => undefined,
    };
  });
  const listeners: Record<string, Listener> = {};
  const svg = {
    addEventListener: (type: string, fn: Listener) => (listeners[`svg:${type}`] = fn),
    querySelectorAll: (sel: string) => (sel === 'g.arrow' ? groups : []),
    querySelector: (sel: string) => (sel === 'g.arrow.marked' ? groups.find((g) => g.classList.contains('marked')) ?? null : null),
  };
  const json = /<script type="application\/json" id="ladder-data">([\s\S]*?)<\/script>/.exec(html)![1];
  const meta = { textContent: '' };
  const detail = { textContent: '', scrollTop: 0 };
  const byId: Record<string, unknown> = { 'ladder-data': { textContent: json }, ladder: svg, 'detail-meta': meta, detail };
  const document = {
    getElementById: (id: string) => byId[id] ?? null,
    addEventListener: (type: string, fn: Listener) => (listeners[`doc:${type}`] = fn),
  };
  const script = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].pop()![1];
  new Function('document', script)(document);
  return {
    meta,
    detail,
    selected: () => groups.filter((g) => g.classList.contains('sel')).map((g) => g.index),
    click: (i: number) => listeners['svg:click']({ target: { closest: (sel: string) => (sel === 'g.arrow' ? groups[i] : null) } }),
    key: (key: string) => listeners['doc:keydown']({ key, preventDefault: () => undefined }),
  };
}
