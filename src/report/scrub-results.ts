/**
 * Last line of defence for "secrets never reach a report": before the HTML report is generated, every
 * file in allure-results is masked. The helpers in allure.ts already redact what they attach; this
 * catches what they cannot see: a failure message or stack that quotes a password, an endpoint's own
 * log file, junit.xml.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { containsSecret, redact, redactBytes } from './redact.js';

const TEXT = new Set(['.json', '.txt', '.html', '.xml', '.log', '.csv', '.properties', '.yaml', '.yml', '.svg']);

/**
 * Masks secrets in every file under dir, recursively, but for the subfolders named in skip; returns the
 * paths of the files it changed. SDES keys are masked even with no secrets given (redact.ts): the target makes them.
 */
export function scrubTree(dir: string, secrets: readonly string[], skip: readonly string[] = []): string[] {
  const changed: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skip.includes(name)) changed.push(...scrubTree(path, secrets));
      continue;
    }
    const data = readFileSync(path);
    const ext = extname(name).toLowerCase();
    let out: Buffer;
    if (ext === '.json') {
      // masked inside the decoded strings: JSON escaping (a quote or backslash in a password) would hide
      // the secret from a byte search
      out = maskJson(data.toString('utf8'), secrets);
      if (out.equals(data)) continue;
    } else {
      if (!containsSecret(data, secrets)) continue;
      out = TEXT.has(ext) ? Buffer.from(redact(data.toString('utf8'), secrets)) : redactBytes(data, secrets);
    }
    writeFileSync(path, out);
    changed.push(path);
  }
  return changed;
}

/** The text with secrets masked in its string values; the same bytes when there was nothing to mask. */
function maskJson(text: string, secrets: readonly string[]): Buffer {
  const escaped = secrets.map((s) => JSON.stringify(s).slice(1, -1));
  if (!secrets.some((s, i) => text.includes(s) || text.includes(escaped[i])) && !containsSecret(text, [])) return Buffer.from(text);
  try {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return redact(v, secrets);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return Buffer.from(JSON.stringify(walk(JSON.parse(text))));
  } catch {
    return Buffer.from(redact(text, secrets));
  }
}
