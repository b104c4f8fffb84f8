/**
 * The NSS key log format (SSLKEYLOGFILE), as written by OpenSSL's keylog callback, Node's 'keylog' event,
 * browsers and Wireshark: one `LABEL <client_random hex> <secret hex>` per line, '#' comments.
 * The secrets are kept as bytes and never put into a message: findings name the client_random only.
 */

/** What one connection's endpoint logged, by label; TLS 1.2 needs `master`, TLS 1.3 the four traffic secrets. */
export interface TlsSecrets {
  /** CLIENT_RANDOM: the TLS 1.2 master secret (48 bytes). */
  master?: Buffer;
  clientHandshake?: Buffer;
  serverHandshake?: Buffer;
  clientTraffic0?: Buffer;
  serverTraffic0?: Buffer;
}

const LABELS: Record<string, keyof TlsSecrets> = {
  CLIENT_RANDOM: 'master',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshake',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshake',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
};

/** Labels of the format we have no use for (0-RTT, exporters, RSA pre-master): valid, silently skipped. */
const KNOWN_UNUSED = new Set(['CLIENT_EARLY_TRAFFIC_SECRET', 'EARLY_EXPORTER_SECRET', 'EXPORTER_SECRET', 'RSA']);

const HEX = /^[0-9a-fA-F]+$/;

export class TlsKeyLog {
  private readonly byRandom = new Map<string, TlsSecrets>();
  /** 1-based numbers of lines that are not key log entries (for a finding; their text may hold a secret). */
  readonly badLines: number[] = [];

  /** Key log text; several endpoints' logs may simply be concatenated. */
  constructor(text: string) {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '' || line.startsWith('#')) continue;
      const [label, random, secret, extra] = line.split(/\s+/);
      const field = LABELS[label];
      if (field === undefined) {
        if (!KNOWN_UNUSED.has(label)) this.badLines.push(i + 1);
        continue;
      }
      if (extra !== undefined || random?.length !== 64 || !HEX.test(random) || !secret || secret.length % 2 !== 0 || !HEX.test(secret)) {
        this.badLines.push(i + 1);
        continue;
      }
      const key = random.toLowerCase();
      let entry = this.byRandom.get(key);
      if (!entry) {
        entry = {};
        this.byRandom.set(key, entry);
      }
      entry[field] = Buffer.from(secret, 'hex');
    }
  }

  /** A new log holding this one's secrets and `other`'s (other's win where both have a label); neither changes. */
  with(other: TlsKeyLog): TlsKeyLog {
    const merged = new TlsKeyLog('');
    for (const log of [this, other]) {
      for (const [random, secrets] of log.byRandom) merged.byRandom.set(random, { ...merged.byRandom.get(random), ...secrets });
    }
    return merged;
  }

  /** Number of connections (client randoms) with at least one secret. */
  get size(): number {
    return this.byRandom.size;
  }

  secrets(clientRandom: Buffer): TlsSecrets | undefined {
    return this.byRandom.get(clientRandom.toString('hex'));
  }
}
