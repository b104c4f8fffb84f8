/**
 * A target named by a DNS name is resolved once, when the run starts (`sipwright run` passes the answers to its
 * workers in SIPWRIGHT_RESOLVED), so every worker and every test talks to the same address. A name that does
 * not resolve is an error that names the target, within seconds.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export const RESOLVED_ENV = 'SIPWRIGHT_RESOLVED';
const LOOKUP_TIMEOUT_MS = 5000;

export class UnresolvableHost extends Error {}

/** The names resolved by the run, from the environment: name → address. */
function resolvedByRun(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  try {
    return JSON.parse(env[RESOLVED_ENV] ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

/** `host` as an IP address: itself, the run's answer for it, or a fresh lookup (at most 5 s). */
export async function resolveHost(host: string, what: string): Promise<string> {
  if (isIP(host)) return host;
  const known = resolvedByRun()[host];
  if (known) return known;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnresolvableHost(`${what}: "${host}" did not resolve within ${LOOKUP_TIMEOUT_MS / 1000} s`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    const r = await Promise.race([lookup(host), timeout]);
    return r.address;
  } catch (e) {
    if (e instanceof UnresolvableHost) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UnresolvableHost(`${what}: "${host}" does not resolve${code ? ` (${code})` : ''}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves every name among `hosts` (for `sipwright run`); the map to hand the workers. */
export async function resolveAll(hosts: Array<{ host: string; what: string }>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { host, what } of hosts) if (!isIP(host) && !out[host]) out[host] = await resolveHost(host, what);
  return out;
}
