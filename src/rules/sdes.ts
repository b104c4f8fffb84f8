/**
 * SDES-*: SRTP keys in SDP (RFC 4568 security descriptions). The key travels in the signalling, so whoever can
 * read the signalling can decrypt the media: it must travel over TLS (or in an encrypted body). And an
 * accepted SRTP stream is answered with exactly one of the offered crypto attributes, under the same tag.
 */
import type { Trace, TraceMessage } from '../trace/trace.js';
import { offerAnswerExchanges, sdpText } from './sdp.js';
import { finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

/** One a=crypto line: its tag, suite, and whether its key parameters carry an inline key (never the key itself). */
export interface CryptoLine {
  tag: string;
  suite: string;
  inline: boolean;
}

const CRYPTO = /^a=crypto:\s*(\S+)\s+(\S+)\s+(\S+)/;

/**
 * The a=crypto lines of an SDP: those at session level (which RFC 4568 §9.1 does not define, but which still
 * carry a key) and those of each m-section, in order.
 */
export function cryptoLines(sdp: string): { session: CryptoLine[]; media: CryptoLine[][] } {
  const session: CryptoLine[] = [];
  const media: CryptoLine[][] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) media.push([]);
    const m = CRYPTO.exec(line);
    if (m) (media[media.length - 1] ?? session).push({ tag: m[1], suite: m[2], inline: /(^|;)inline:/i.test(m[3]) });
  }
  return { session, media };
}

function isSrtp(protocol: string): boolean {
  return /\bRTP\/S?AVPF?\b/i.test(protocol) && /SAVP/i.test(protocol);
}

const sdes01 = rule('SDES-01', 'SHOULD', 'RFC 4568 §8.3', 'SDES keys (a=crypto inline:) are sent only over TLS', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.retransmission || m.transport === 'tls') continue;
    const text = sdpText(m);
    if (text === undefined || !text.includes('a=crypto:')) continue;
    const { session, media } = cryptoLines(text);
    const keyed = [...session, ...media.flat()].filter((c) => c.inline);
    if (keyed.length === 0) continue;
    const lines = keyed.map((c) => `tag ${c.tag} ${c.suite}`).join(', ');
    out.push(finding(sdes01, `${m.label} from ${m.from} to ${m.to} carries SRTP key material (a=crypto ${lines}) over ${m.transport.toUpperCase()}, not TLS: whoever reads the signalling can decrypt the media`, m.index));
  }
  return out;
});

function answerProblem(offer: TraceMessage, answer: TraceMessage, k: number, offered: CryptoLine[], answered: CryptoLine[]): string | undefined {
  const at = `answer m-line ${k + 1} in ${answer.label}`;
  if (answered.length !== 1) {
    return `${at} accepts an SRTP stream with ${answered.length} a=crypto lines${answered.length ? ` (tags ${answered.map((c) => c.tag).join(', ')})` : ''}; it carries exactly one, picked from the offer in ${offer.label}`;
  }
  const [a] = answered;
  const o = offered.find((c) => c.tag === a.tag);
  if (!o) return `${at} answers with a=crypto tag ${a.tag}, which the offer in ${offer.label} did not use (its tags: ${offered.map((c) => c.tag).join(', ')})`;
  if (o.suite !== a.suite) return `${at} answers tag ${a.tag} with ${a.suite}, but the offer's tag ${a.tag} is ${o.suite}`;
  return undefined;
}

const sdes02 = ruleOnce('SDES-02', 'MUST', 'RFC 4568 §5.1.2', 'An accepted SRTP stream is answered with exactly one a=crypto line, with an offered tag and its suite', (trace: Trace) => {
  const out: Finding[] = [];
  for (const e of offerAnswerExchanges(trace)) {
    const offered = cryptoLines(e.offer.text).media;
    const answered = cryptoLines(e.answer.text).media;
    for (const [k, am] of e.answer.s.media.entries()) {
      const om = e.offer.s.media[k];
      if (!om || am.port === 0 || om.port === 0 || !isSrtp(om.protocol) || !isSrtp(am.protocol)) continue;
      const offeredHere = offered[k] ?? [];
      if (offeredHere.length === 0) continue; // keyed another way (DTLS-SRTP, MIKEY): not SDES
      const problem = answerProblem(e.offer.msg, e.answer.msg, k, offeredHere, answered[k] ?? []);
      if (problem) out.push(finding(sdes02, problem, e.answer.msg.index, e.offer.msg.index));
    }
  }
  return out;
});

export const SDES_RULES: Rule[] = [sdes01, sdes02];
