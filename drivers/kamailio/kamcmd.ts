/** Reading Kamailio's state over its ctl socket with kamcmd (the location table, for registrar tests). */
import { runToEnd } from '../../src/runtime/native.js';

export interface LocationBinding {
  aor: string;
  contact: string;
  /** Seconds left, as the registrar sees it (ul.dump prints them relative). */
  expiresIn: number;
  q: number;
  callId: string;
  cseq: number;
}

/**
 * kamcmd prints ul.dump as nested "key: value" lines with braces. Pull out each Contact block: enough
 * structure for tests, no dependence on indentation.
 */
export function parseUlDump(text: string): LocationBinding[] {
  const out: LocationBinding[] = [];
  let aor = '';
  let cur: Record<string, string> | undefined;
  const flush = () => {
    if (cur && cur.Address) {
      const expires = Number(cur.Expires);
      out.push({
        aor,
        contact: cur.Address,
        expiresIn: Number.isFinite(expires) && expires > 0 ? expires : 0,
        q: Number(cur.Q ?? '-1'),
        callId: cur['Call-ID'] ?? '',
        cseq: Number(cur.CSeq ?? '0'),
      });
    }
    cur = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'AoR') {
      flush();
      aor = value;
    } else if (key === 'Address') {
      flush();
      cur = { Address: value };
    } else if (cur) {
      cur[key] = value;
    }
  }
  flush();
  return out;
}

export async function kamcmd(ctlSocket: string, args: string[], timeoutMs = 5000): Promise<string> {
  const r = await runToEnd('kamcmd', ['-s', `unix:${ctlSocket}`, ...args], timeoutMs);
  if (r.code !== 0) throw new Error(`kamcmd ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
