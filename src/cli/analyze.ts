/** `sipwright analyze FILE`: ladder and rule findings for any capture. */
import { readFileSync, writeFileSync } from 'node:fs';
import { extractSip } from '../capture/extract.js';
import type { CaptureResult } from '../capture/types.js';
import { runRules, selectRules, type Finding } from '../rules/index.js';
import { renderHtmlLadder } from '../trace/ladder-html.js';
import { renderTextLadder } from '../trace/ladder-text.js';
import { endpointText } from '../trace/parties.js';
import { Trace } from '../trace/trace.js';
import { CliError, EXIT } from './exit-codes.js';
import type { ProgressLine } from './progress-line.js';
import { jsonNumber, jsonString } from '../util/json-text.js';

export interface AnalyzeOptions {
  json?: boolean;
  html?: string;
  /** "127.0.0.1:5060=alice" pairs. */
  party?: string[];
  ladder?: boolean;
  t1?: number;
  rules?: string[];
}

export function readCapture(file: string): CaptureResult {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return extractSip(buf);
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

export function parsePartyMap(pairs: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.lastIndexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new CliError(`--party "${p}": expected ADDRESS=NAME, e.g. 127.0.0.1:5060=alice`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** @param progress  a line to keep up to date while a large capture is read (the CLI's, on a terminal) */
export function analyzeCapture(file: string, options: AnalyzeOptions = {}, progress?: ProgressLine): { trace: Trace; findings: Finding[]; capture: CaptureResult } {
  // Before reading the file: a mistyped rule id fails at once, not after a large capture has been parsed.
  let ruleCount: number;
  try {
    ruleCount = selectRules(options.rules).length;
  } catch (e) {
    throw new CliError(`--rules: ${(e as Error).message}`);
  }
  const parties = parsePartyMap(options.party);
  progress?.update(`reading ${file}`, true);
  const capture = readCapture(file);
  const trace = Trace.fromCapture(capture, { parties, progress: progress && ((n, all) => {
    // The last call comes as parsing ends and grouping starts.
    if (n === all) progress.update(`grouping ${all.toLocaleString('en-US')} messages into transactions and dialogs`, true);
    else progress.count('parsing messages', n, all);
  }) });
  const findings = runRules(trace, {
    only: options.rules,
    context: options.t1 ? { t1: options.t1 } : undefined,
    progress: progress && ((n, all) => progress.share(`checking ${ruleCount} rules`, n, all)),
  });
  return { trace, findings, capture };
}

/**
 * @param out    prints a line
 * @param write  prints text as it is (no newline added): with it, --json is written piece by piece
 */
export function analyzeCommand(file: string, options: AnalyzeOptions, out: (s: string) => void, write?: (s: string) => void, progress?: ProgressLine): number {
  let analysis: ReturnType<typeof analyzeCapture>;
  try {
    analysis = analyzeCapture(file, options, progress);
  } finally {
    // Erased before anything is printed, and when the capture turns out unreadable, so no half line is left.
    progress?.done();
  }
  const { trace, findings, capture } = analysis;
  const must = findings.filter((f) => f.level === 'MUST');
  if (options.html) {
    const mark = markMap(findings);
    writeFileSync(options.html, renderHtmlLadder(trace.ladder({ title: file, mark }), { title: file }));
  }
  if (options.json) {
    if (write) {
      writeJson(file, trace, findings, capture, write);
      write('\n');
    } else out(toJsonText(file, trace, findings, capture));
    return must.length ? EXIT.FAILED : EXIT.OK;
  }
  if (options.ladder !== false) out(renderTextLadder(trace.ladder({ title: file, mark: markMap(findings) }), { detailForMarked: false }));
  out('');
  out(`${file}: ${capture.frames} frames, ${trace.messages.length} SIP messages, ${trace.transactions.length} transactions, ${trace.dialogs.length} dialogs`);
  for (const f of capture.findings) out(`  capture  frame ${f.frame}: ${f.level}: ${f.message}`);
  for (const u of trace.unparsed) out(`  unparsed frame ${u.frame ?? '?'} ${endpointText(u.src)} → ${endpointText(u.dst)}: ${u.diagnostics.map((d) => d.message).join('; ')}`);
  if (findings.length === 0) out('No findings.');
  for (const f of findings) {
    out(`  ${f.level === 'MUST' ? 'MUST  ' : 'SHOULD'} ${f.rule.padEnd(7)} ${f.messages.length ? '#' + f.messages.join(',#') : ''}  ${f.message}  [${f.rfc}]`);
  }
  out(`${must.length} MUST-level and ${findings.length - must.length} SHOULD-level findings.`);
  return must.length ? EXIT.FAILED : EXIT.OK;
}

function markMap(findings: Finding[]): Map<number, string> {
  const mark = new Map<number, string>();
  for (const f of findings) {
    const i = f.messages[0];
    if (i === undefined) continue;
    mark.set(i, mark.has(i) ? `${mark.get(i)} ${f.rule}` : f.rule);
  }
  return mark;
}

export function toJson(file: string, trace: Trace, findings: Finding[], capture: CaptureResult) {
  return report(file, trace, findings, capture, trace.messages.map((m) => ({
    index: m.index,
    frame: m.frame,
    time: m.time,
    src: endpointText(m.src),
    dst: endpointText(m.dst),
    transport: m.transport,
    ...(m.method !== undefined ? { method: m.method } : { status: m.status }),
    callId: m.message.callId,
    cseq: m.message.get('cseq'),
  })));
}

/** The report around its message list, shared by toJson and toJsonText so both keep one key order. */
function report<M>(file: string, trace: Trace, findings: Finding[], capture: CaptureResult, messages: M) {
  return {
    file,
    format: capture.format,
    frames: capture.frames,
    messages,
    findings,
    unparsed: trace.unparsed.map((u) => ({ frame: u.frame, src: endpointText(u.src), dst: endpointText(u.dst), diagnostics: u.diagnostics })),
    captureFindings: capture.findings,
  };
}

/**
 * JSON.stringify(toJson(…)), character for character, without making an object per message first: on a
 * 200k-message capture that is about half a second less (test/cli/analyze-pinned.test.ts compares them).
 */
export function toJsonText(file: string, trace: Trace, findings: Finding[], capture: CaptureResult): string {
  const chunks: string[] = [];
  writeJson(file, trace, findings, capture, (s) => chunks.push(s));
  return chunks.join('');
}

/** Messages per piece handed to `write`. */
const CHUNK = 1000;

/**
 * toJsonText in pieces, the message list a thousand messages at a time: the text of a large capture never
 * sits whole in memory, so its strings die young instead of being copied by the collector.
 */
export function writeJson(file: string, trace: Trace, findings: Finding[], capture: CaptureResult, write: (s: string) => void): void {
  // The report with a stand-in for the list; no path holds a NUL, so its first occurrence is the stand-in.
  const mark = JSON.stringify('\0messages');
  const text = JSON.stringify(report(file, trace, findings, capture, '\0messages'));
  const at = text.indexOf(mark);
  write(`${text.slice(0, at)}[`);
  const ms = trace.messages;
  const parts: string[] = [];
  for (let start = 0; start < ms.length; start += CHUNK) {
    parts.length = 0;
    for (let i = start; i < Math.min(start + CHUNK, ms.length); i++) parts.push(messageJson(ms[i]));
    write((start > 0 ? ',' : '') + parts.join(','));
  }
  write(`]${text.slice(at + mark.length)}`);
}

function messageJson(m: Trace['messages'][number]): string {
  const callId = m.message.callId;
  const cseq = m.message.get('cseq');
  return `{"index":${jsonNumber(m.index)}${m.frame !== undefined ? `,"frame":${jsonNumber(m.frame)}` : ''},"time":${jsonNumber(m.time)},"src":${jsonString(endpointText(m.src))},"dst":${jsonString(endpointText(m.dst))},"transport":${jsonString(m.transport)}`
    + (m.method !== undefined ? `,"method":${jsonString(m.method)}` : m.status !== undefined ? `,"status":${jsonNumber(m.status)}` : '')
    + (callId !== undefined ? `,"callId":${jsonString(callId)}` : '') + (cseq !== undefined ? `,"cseq":${jsonString(cseq)}` : '') + '}';
}
