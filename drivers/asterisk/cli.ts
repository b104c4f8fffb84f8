/** Reading Asterisk's state from its CLI output (`asterisk -rx …`): registrar bindings and channels. */

export interface AsteriskContact {
  /** The AOR (the account's user name). */
  aor: string;
  /** The bound Contact URI. */
  uri: string;
  /** `aor/uri`: what `pjsip show contact` takes. */
  id: string;
  /** Avail, Unavail, NonQual (not qualified: qualifyFrequency 0), Unknown, Created, Removed. */
  status: string;
  /** Qualify round trip in ms, when qualified. */
  rttMs?: number;
  /** Seconds until the binding expires, from the registrar's record (absent if Asterisk did not show it). */
  expiresIn?: number;
  /** The REGISTER's Call-ID, User-Agent and Path, from the registrar's record. */
  callId?: string;
  userAgent?: string;
  path?: string;
}

/**
 * `pjsip show contacts`:
 * ```
 *   Contact:  alice/sip:alice@127.100.1.11:5060              14295fde84 NonQual        -nan
 * ```
 * The header line (`<Aor/ContactUri…>`) is skipped.
 */
export function parseContacts(text: string): AsteriskContact[] {
  const out: AsteriskContact[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*Contact:\s+(\S+)\s+([0-9a-f]+)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, id, , status, rtt] = m;
    const slash = id.indexOf('/');
    if (slash <= 0) continue;
    const rttMs = Number(rtt);
    out.push({ aor: id.slice(0, slash), uri: id.slice(slash + 1), id, status, ...(Number.isFinite(rttMs) ? { rttMs } : {}) });
  }
  return out;
}

export interface RegistrarRecord {
  aor: string;
  uri: string;
  /** Epoch seconds. */
  expirationTime?: number;
  callId?: string;
  userAgent?: string;
  path?: string;
}

/**
 * `database show registrar/contact`: the registrar's bindings as astdb keeps them, one JSON object a line:
 * ```
 * /registrar/contact/alice;@14295fde…: {"uri":"sip:alice@…","expiration_time":"1795479116","call_id":"…",…}
 * ```
 */
export function parseRegistrarDb(text: string): RegistrarRecord[] {
  const out: RegistrarRecord[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/registrar\/contact\/(.+?);@[0-9a-f]+\s*:\s*(\{.*\})\s*$/.exec(line);
    if (!m) continue;
    let rec: Record<string, string>;
    try {
      rec = JSON.parse(m[2]) as Record<string, string>;
    } catch {
      continue;
    }
    const exp = Number(rec.expiration_time);
    out.push({
      aor: m[1],
      uri: rec.uri ?? '',
      ...(Number.isFinite(exp) && exp > 0 ? { expirationTime: exp } : {}),
      ...(rec.call_id ? { callId: rec.call_id } : {}),
      ...(rec.user_agent ? { userAgent: rec.user_agent } : {}),
      ...(rec.path ? { path: rec.path } : {}),
    });
  }
  return out;
}

/**
 * Adds expiry (seconds left at `nowMs`), Call-ID, User-Agent and Path from the registrar's records. `pjsip show
 * contacts` cuts "aor/uri" at its column width (46 characters: a `;transport=TLS` is the first thing lost), so a
 * shown URI that is the start of exactly one record's URI is that record, and takes its whole URI.
 */
export function mergeRegistrarRecords(contacts: AsteriskContact[], records: RegistrarRecord[], nowMs = Date.now()): AsteriskContact[] {
  return contacts.map((c) => {
    const sameAor = records.filter((x) => x.aor === c.aor);
    const prefixed = sameAor.filter((x) => x.uri.startsWith(c.uri));
    const r = sameAor.find((x) => x.uri === c.uri) ?? (prefixed.length === 1 ? prefixed[0] : undefined);
    if (!r) return c;
    return {
      ...c,
      uri: r.uri,
      id: `${c.aor}/${r.uri}`,
      ...(r.expirationTime !== undefined ? { expiresIn: Math.max(0, Math.floor(r.expirationTime - nowMs / 1000)) } : {}),
      ...(r.callId ? { callId: r.callId } : {}),
      ...(r.userAgent ? { userAgent: r.userAgent } : {}),
      ...(r.path ? { path: r.path } : {}),
    };
  });
}

export interface AsteriskChannel {
  /** e.g. PJSIP/alice-00000000 */
  name: string;
  /** The endpoint's name, from the channel name (PJSIP/alice-00000000 → alice). */
  endpoint: string;
  context: string;
  /** The extension it is executing ('' for the callee leg of a Dial). */
  exten: string;
  priority: number;
  /** Up, Ring, Ringing, Down, … */
  state: string;
  /** Dial, AppDial (the callee leg of a Dial), Echo, MusicOnHold, Park, … */
  application: string;
  data: string;
  callerId: string;
  accountCode: string;
  peerAccount: string;
  amaFlags: number;
  durationSeconds: number;
  /** The bridge it is in ('' when none): both legs of an answered B2BUA call share one. */
  bridgeId: string;
  uniqueId: string;
}

/**
 * `core show channels concise`, one channel a line, fields separated by `!`:
 * name!context!exten!priority!state!application!data!callerid!accountcode!peeraccount!amaflags!duration!bridgeid!uniqueid
 * The application data may itself hold `!`: the six fields before it and the seven after it are fixed.
 */
export function parseChannelsConcise(text: string): AsteriskChannel[] {
  const out: AsteriskChannel[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const f = line.split('!');
    if (f.length < 14 || !f[0].includes('/')) continue;
    const head = f.slice(0, 6);
    const tail = f.slice(f.length - 7);
    const data = f.slice(6, f.length - 7).join('!');
    const [name, context, exten, priority, state, application] = head;
    const [callerId, accountCode, peerAccount, amaFlags, duration, bridgeId, uniqueId] = tail;
    out.push({
      name,
      endpoint: /^[^/]+\/(.+)-[0-9a-f]{8}$/.exec(name)?.[1] ?? '',
      context,
      exten,
      priority: Number(priority),
      state,
      application,
      data,
      callerId,
      accountCode,
      peerAccount,
      amaFlags: Number(amaFlags),
      durationSeconds: Number(duration),
      bridgeId,
      uniqueId,
    });
  }
  return out;
}
