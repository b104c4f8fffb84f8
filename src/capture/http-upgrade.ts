/**
 * Recognises the HTTP/1.1 WebSocket opening handshake (RFC 6455 §4) that precedes
 * SIP over WebSocket (RFC 7118). Sec-WebSocket-Protocol is not required: tshark
 * falls back to heuristics on other subprotocols too, and each message is tested
 * for a SIP start line anyway.
 */

export const HTTP_WS_REQUEST = 1;
export const HTTP_SWITCHING = 2;
export const HTTP_OTHER = 3;

const GET = Buffer.from('GET ');
const HTTP = Buffer.from('HTTP/');

/** 1 = request, 2 = response, 0 = need more bytes, -1 = not HTTP. */
export function httpStart(buf: Buffer, s: number, e: number): number {
  if (prefixState(buf, s, e, GET) === 1) return 1;
  if (prefixState(buf, s, e, HTTP) === 1) return 2;
  return prefixState(buf, s, e, GET) === 0 || prefixState(buf, s, e, HTTP) === 0 ? 0 : -1;
}

/** 1 full match, 0 partial match so far, -1 mismatch. */
function prefixState(buf: Buffer, s: number, e: number, p: Buffer): number {
  const n = Math.min(e - s, p.length);
  for (let i = 0; i < n; i++) if (buf[s + i] !== p[i]) return -1;
  return n === p.length ? 1 : 0;
}

/** Classifies a complete request or response head [s, hdrEnd). */
export function classifyHttpHead(buf: Buffer, s: number, hdrEnd: number): number {
  const lines = buf.toString('latin1', s, hdrEnd).split(/\r?\n/);
  const first = lines[0];
  let upgrade = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === 'upgrade' && value.includes('websocket')) upgrade = true;
  }
  if (first.startsWith('GET ')) return upgrade ? HTTP_WS_REQUEST : HTTP_OTHER;
  return upgrade && /^HTTP\/1\.\d 101\b/.test(first) ? HTTP_SWITCHING : HTTP_OTHER;
}
