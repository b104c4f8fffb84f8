/**
 * SYN-*: message syntax and framing (RFC 3261 §7, §18, §20, §25). The parser already knows; this module turns
 * its diagnostics into findings, keyed by the catalogue id named in each diagnostic's rule.
 */
import type { TraceMessage } from '../trace/trace-message.js';
import { finding, rule, type Finding, type Rule } from './types.js';

/** Parser diagnostics that carry a catalogue id, e.g. "RFC 3261 §20.14 (SYN-06)". */
const CATALOGUE_ID = /\b(SYN-\d\d)\b/;

const titles: Record<string, string> = {
  'SYN-01': 'Request-Line is Method SP Request-URI SP SIP/2.0 CRLF',
  'SYN-02': 'Status-Line is SIP/2.0 SP 3DIGIT SP Reason-Phrase CRLF, code 100-699',
  'SYN-03': 'Lines end in CRLF; the header section ends with an empty line',
  'SYN-04': 'Every request carries To, From, CSeq, Call-ID, Max-Forwards and Via',
  'SYN-05': 'Every response carries To, From, CSeq, Call-ID and Via',
  'SYN-06': 'Content-Length is present on stream transports and equals the body length',
  'SYN-07': 'A non-empty body has a Content-Type',
  'SYN-08': 'CSeq is number + method, the method equals the request method',
  'SYN-09': 'Max-Forwards is an integer 0-255',
  'SYN-10': 'Single-valued headers appear once',
  'SYN-11': 'IPv6 literals in SIP URIs are enclosed in [ ]',
  'SYN-12': 'A URI with parameters or headers in Contact/From/To/Route uses < >',
  'SYN-14': 'One UDP datagram is one message; bytes beyond Content-Length are ignored',
};

function diagnosticRule(id: string): Rule {
  return rule(id, 'MUST', ruleRfc(id), titles[id], (trace) => {
    const out: Finding[] = [];
    for (const m of trace.messages) {
      for (const d of m.message.validate()) {
        const hit = CATALOGUE_ID.exec(d.rule);
        if (!hit || hit[1] !== id) continue;
        // Warnings from the parser (bare LF, trailing bytes) stay at SHOULD level.
        out.push({ ...finding({ id, level: d.severity === 'error' ? 'MUST' : 'SHOULD', rfc: d.rule }, `${d.message}`, m.index) });
      }
    }
    return out;
  });
}

function ruleRfc(id: string): string {
  return {
    'SYN-01': 'RFC 3261 §7.1, §25.1', 'SYN-02': 'RFC 3261 §7.2', 'SYN-03': 'RFC 3261 §7, §7.5', 'SYN-04': 'RFC 3261 §8.1.1',
    'SYN-05': 'RFC 3261 §8.2.6.2', 'SYN-06': 'RFC 3261 §20.14, §18.3', 'SYN-07': 'RFC 3261 §7.4.1', 'SYN-08': 'RFC 3261 §8.1.1.5',
    'SYN-09': 'RFC 3261 §20.22', 'SYN-10': 'RFC 3261 §7.3.1', 'SYN-11': 'RFC 3261 §19.1.1, RFC 5118 §4.2', 'SYN-12': 'RFC 3261 §20.10',
    'SYN-14': 'RFC 3261 §18.3',
  }[id] ?? 'RFC 3261';
}

/** Grammar errors the catalogue has no id for still matter: reported under PARSE. */
const parseRule = rule('PARSE', 'MUST', 'RFC 3261 §25', 'Every message follows the SIP grammar', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    for (const d of m.message.validate()) {
      if (CATALOGUE_ID.test(d.rule) || d.severity !== 'error') continue;
      out.push(finding({ id: 'PARSE', level: 'MUST', rfc: d.rule }, `${d.code}: ${d.message}`, m.index));
    }
  }
  return out;
});

/** SYN-06 on streams is also a framing matter the capture layer sees. SYN-13: big UDP requests. */
const syn13 = rule('SYN-13', 'SHOULD', 'RFC 3261 §18.1.1', 'A request over UDP larger than 1300 bytes should use a congestion-controlled transport', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages as TraceMessage[]) {
    if (m.transport !== 'udp' || m.message.kind !== 'request') continue;
    const size = m.message.wireLength;
    if (size > 1300) out.push(finding(syn13, `${m.method} of ${size} bytes sent over UDP (limit 1300 without a known path MTU)`, m.index));
  }
  return out;
});

export const SYNTAX_RULES: Rule[] = [...Object.keys(titles).map(diagnosticRule), syn13, parseRule];
