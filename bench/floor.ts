/**
 * The floor: the least work `analyze --json` could do on a capture, in this runtime, on this machine.
 *   node dist/bench/floor-run.js FILE > out.json
 * It reads the capture with sipwright's own reader, takes the start line and five header fields of each
 * payload by a byte scan (Call-ID, CSeq, the top Via's branch, the From and To tags), groups transactions and
 * dialogs by those keys, and writes the same message list as `analyze --json`. It checks no grammar and runs no
 * rule, and it takes each payload as one message (the bench capture has one per datagram or TCP segment run).
 *
 * bench/analyze times it next to tshark: tshark's time / the floor's is about the most any design of the full
 * analysis could reach here, since the analysis does all of this and more. It writes its JSON strings with
 * analyze's own helpers, so the two differ only in the work the floor leaves out.
 */
import { readFileSync } from 'node:fs';
import { extractSip } from '../src/capture/extract.js';
import { endpointText as addr } from '../src/trace/parties.js';
import { jsonNumber as num, jsonString as str } from '../src/util/json-text.js';

interface Fields { method?: string; status?: number; callId?: string; cseq?: string; via?: string; from?: string; to?: string }

const CR = 13;
const COLON = 58;
const SPACE = 32;

/** Header names as sent (long and compact form), lower-cased, to the field they fill. */
const WANTED: Record<string, keyof Fields> = { 'call-id': 'callId', i: 'callId', cseq: 'cseq', via: 'via', v: 'via', from: 'from', f: 'from', to: 'to', t: 'to' };

function scan(b: Buffer): Fields {
  const out: Fields = {};
  const end = b.length;
  let j = 0;
  while (j < end && b[j] !== CR) j++;
  const line = b.toString('latin1', 0, j);
  if (line.startsWith('SIP/2.0 ')) out.status = Number(line.slice(8, 11));
  else out.method = line.slice(0, line.indexOf(' '));
  let i = j + 2;
  while (i < end && b[i] !== CR) {
    let k = i;
    while (k < end && b[k] !== CR) k++;
    let c = i;
    while (c < k && b[c] !== COLON) c++;
    // Only names of up to seven letters can be wanted: most lines are skipped without making a string.
    if (c - i <= 7) {
      const field = WANTED[b.toString('latin1', i, c).toLowerCase().trimEnd()];
      if (field !== undefined && (field !== 'via' || out.via === undefined)) {
        let v = c + 1;
        while (b[v] === SPACE) v++;
        (out as Record<string, string>)[field] = b.toString('latin1', v, k);
      }
    }
    i = k + 2;
  }
  return out;
}

function param(value: string | undefined, name: string): string {
  if (value === undefined) return '';
  const at = value.indexOf(`;${name}=`);
  if (at < 0) return '';
  const from = at + name.length + 2;
  const semi = value.indexOf(';', from);
  return value.slice(from, semi < 0 ? undefined : semi);
}

/** Requests whose tags make no dialog (RFC 3261 §12; RFC 3428 for MESSAGE, RFC 3903 for PUBLISH). */
const OUTSIDE_DIALOGS = new Set(['REGISTER', 'OPTIONS', 'MESSAGE', 'PUBLISH']);

/** The floor's report, written piece by piece: the message list of `analyze --json`, and the groups it found. */
export function writeFloorJson(file: string, write: (s: string) => void): { transactions: number; dialogs: number } {
  const capture = extractSip(readFileSync(file));
  const transactions = new Map<string, number>();
  const dialogs = new Map<string, number>();
  let chunk = `{"file":${str(file)},"format":"${capture.format}","frames":${capture.frames},"messages":[`;
  capture.payloads.forEach((p, index) => {
    const m = scan(p.bytes);
    const method = m.cseq?.slice(m.cseq.indexOf(' ') + 1) ?? '';
    const txKey = `${param(m.via, 'branch')}\0${method === 'ACK' ? 'INVITE' : method}`;
    if (!transactions.has(txKey)) transactions.set(txKey, transactions.size);
    const fromTag = param(m.from, 'tag');
    const toTag = param(m.to, 'tag');
    if (toTag !== '' && !OUTSIDE_DIALOGS.has(method)) {
      const dialogKey = `${m.callId}\0${fromTag < toTag ? `${fromTag}\0${toTag}` : `${toTag}\0${fromTag}`}`;
      if (!dialogs.has(dialogKey)) dialogs.set(dialogKey, dialogs.size);
    }
    chunk += `${index ? ',' : ''}{"index":${index},"frame":${p.frame},"time":${num(p.time)},"src":${str(addr(p.src))},"dst":${str(addr(p.dst))},"transport":"${p.transport}"`
      + (m.method !== undefined ? `,"method":${str(m.method)}` : `,"status":${num(m.status!)}`)
      + (m.callId !== undefined ? `,"callId":${str(m.callId)}` : '') + (m.cseq !== undefined ? `,"cseq":${str(m.cseq)}` : '') + '}';
    if (chunk.length > 1 << 16) {
      write(chunk);
      chunk = '';
    }
  });
  write(`${chunk}],"findings":[],"transactions":${transactions.size},"dialogs":${dialogs.size}}\n`);
  return { transactions: transactions.size, dialogs: dialogs.size };
}
