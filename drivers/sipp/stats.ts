/**
 * SIPp's own statistics, read from the files it writes at exit: the -trace_stat CSV (call counters, by
 * column name, so a reordered or extended CSV still reads) and the -trace_screen dump (per-message counts of
 * the scenario screen). These describe what SIPp saw; verdicts still come from the capture.
 */

export interface MessageStat {
  /** The line's label as SIPp shows it: a method, a status code, `Pause`, `[ NOP ]`. */
  label: string;
  direction: 'sent' | 'received' | 'pause' | 'nop';
  messages: number;
  retransmissions: number;
  timeouts: number;
  unexpected: number;
}

export interface SippStats {
  successful: number;
  failed: number;
  created: number;
  incoming: number;
  outgoing: number;
  /** Calls still open when SIPp exited. */
  current: number;
  retransmissions: number;
  outOfCallMessages: number;
  deadCallMessages: number;
  warnings: number;
  fatalErrors: number;
  /** Why calls failed: CSV column names without the `Failed` prefix (MaxUDPRetrans, UnexpectedMessage, …), non-zero only. */
  failedBy: Record<string, number>;
  /** Every cumulative counter of the CSV, by column name without `(C)`. */
  counters: Record<string, number>;
  /** Per scenario step, from the screen dump (empty when no screen was written). */
  messages: MessageStat[];
}

/** The last row of a SIPp -trace_stat CSV (written at exit), as cumulative counters. */
export function parseStatCsv(text: string): Record<string, number> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return {};
  const header = lines[0].split(';');
  const row = lines[lines.length - 1].split(';');
  const out: Record<string, number> = {};
  header.forEach((name, i) => {
    // Periodic columns end in (P), cumulative ones in (C); a few (TotalCallCreated, CurrentCall) have neither.
    if (name.endsWith('(P)')) return;
    const value = row[i];
    if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return;
    out[name.replace(/\(C\)$/, '')] = Number(value);
  });
  return out;
}

/** The "Successful call | periodic | cumulative" lines of the statistics screen, as a fallback source. */
export function parseStatisticsScreen(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const rows: Array<[RegExp, string]> = [
    [/Successful call\s*\|[^|]*\|\s*(\d+)/, 'SuccessfulCall'],
    [/Failed call\s*\|[^|]*\|\s*(\d+)/, 'FailedCall'],
    [/Total Calls created\s*\|[^|]*\|\s*(\d+)/, 'TotalCallCreated'],
    [/Incoming calls created\s*\|[^|]*\|\s*(\d+)/, 'IncomingCall'],
    [/Outgoing calls created\s*\|[^|]*\|\s*(\d+)/, 'OutgoingCall'],
  ];
  for (const [re, name] of rows) {
    const all = [...text.matchAll(new RegExp(re.source, 'g'))];
    const last = all[all.length - 1];
    if (last) out[name] = Number(last[1]);
  }
  return out;
}

// Counts fill the columns Messages, Retrans, Timeout, Unexpected-Msg from the left; missing ones are blank.
const COUNTS = String.raw`(?:\S*RTD\S*\s+)?(\d+)(?:\s+(\d+))?(?:\s+(\d+))?(?:\s+(\d+))?\s*$`;
// A UAC screen puts the label first ("INVITE ---------->" is sent), a UAS screen the arrow ("----------> INVITE" is received).
const LABEL_FIRST = new RegExp(String.raw`^\s*(\S.*?)\s+(-{3,}>|<-{3,})\s+` + COUNTS);
const ARROW_FIRST = new RegExp(String.raw`^\s*(-{3,}>|<-{3,})\s+(\S+)\s+` + COUNTS);
const PAUSE = /^\s*(?:Pause\s*\[\s*([^\]]*)\]|\[\s*([^\]]*)\]\s*Pause)\s+(\d+)(?:\s+(\d+))?\s*$/;
const NOP = /^\s*\[\s*NOP\s*\]/;

function counts(label: string, direction: MessageStat['direction'], m: string[]): MessageStat {
  return {
    label: label.trim(),
    direction,
    messages: Number(m[0]),
    retransmissions: Number(m[1] ?? 0),
    timeouts: Number(m[2] ?? 0),
    unexpected: Number(m[3] ?? 0),
  };
}

/** The per-step lines of the last scenario screen in a -trace_screen dump. */
export function parseScenarioScreen(text: string): MessageStat[] {
  const start = text.lastIndexOf('Scenario Screen');
  if (start < 0) return [];
  const section = text.slice(start).split(/\r?\n/);
  const out: MessageStat[] = [];
  let inTable = false;
  for (const raw of section.slice(1)) {
    // SIPp 3.8 numbers the steps ("0 :      INVITE ---------->", "10:         ACK"); 3.6 does not.
    const line = raw.replace(/^\d+\s*:/, '');
    if (/Messages\s+Retrans\s+Timeout/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    if (/^-{5,}|Statistics Screen/.test(line)) break;
    const p = PAUSE.exec(line);
    if (p) {
      out.push({ label: `Pause ${(p[1] ?? p[2]).trim()}`, direction: 'pause', messages: Number(p[3]), retransmissions: 0, timeouts: 0, unexpected: Number(p[4] ?? 0) });
      continue;
    }
    const a = ARROW_FIRST.exec(line);
    if (a) {
      out.push(counts(a[2], a[1].endsWith('>') ? 'received' : 'sent', a.slice(3)));
      continue;
    }
    const l = LABEL_FIRST.exec(line);
    if (l) {
      out.push(counts(l[1], l[2].endsWith('>') ? 'sent' : 'received', l.slice(3)));
      continue;
    }
    if (NOP.test(line)) out.push({ label: '[ NOP ]', direction: 'nop', messages: 0, retransmissions: 0, timeouts: 0, unexpected: 0 });
  }
  return out;
}

/** Combines the CSV (preferred) and the screen dump into one summary. */
export function buildStats(csv: string | undefined, screen: string | undefined): SippStats {
  const fromCsv = csv ? parseStatCsv(csv) : {};
  const counters = Object.keys(fromCsv).length ? fromCsv : screen ? parseStatisticsScreen(screen) : {};
  const n = (k: string) => counters[k] ?? 0;
  const failedBy: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) {
    if (k.startsWith('Failed') && k !== 'FailedCall' && v > 0) failedBy[k.slice('Failed'.length)] = v;
  }
  return {
    successful: n('SuccessfulCall'),
    failed: n('FailedCall'),
    created: n('TotalCallCreated'),
    incoming: n('IncomingCall'),
    outgoing: n('OutgoingCall'),
    current: n('CurrentCall'),
    retransmissions: n('Retransmissions'),
    outOfCallMessages: n('OutOfCallMsgs'),
    deadCallMessages: n('DeadCallMsgs'),
    warnings: n('Warnings'),
    fatalErrors: n('FatalErrors'),
    failedBy,
    counters,
    messages: screen ? parseScenarioScreen(screen) : [],
  };
}
