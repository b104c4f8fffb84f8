/**
 * Thin helpers over allure-js-commons for the lab fixture and suites. Two things they add:
 *  - every name, parameter and attachment goes through redact() with the secrets registered here;
 *  - outside the allure-jest environment (plain `jest` on a suite, a unit test) they do nothing and
 *    never throw. allure-js-commons' own fallback prints a warning on every call, which would bury a
 *    plain run's output, so the environment is detected here first.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import * as allure from 'allure-js-commons';
import { containsSecret, redact, redactBytes } from './redact.js';
import { contentTypeOf, isTextType } from './content-types.js';
import { secretsFromEnv } from './secrets-env.js';

/** Seeded from SIPWRIGHT_SECRETS, which `sipwright run` sets for its workers. */
const secrets = new Set<string>(secretsFromEnv());

/**
 * Registers values that must never reach the report (target passwords). Module state is per test
 * file (jest gives each file its own module registry), so a fixture registers its target's secrets
 * once per file.
 */
export function addSecrets(...values: (string | undefined | null)[]): void {
  for (const v of values) if (v) secrets.add(v);
}

/** The registered secrets (for callers that redact their own output, such as log lines). */
export function registeredSecrets(): string[] {
  return [...secrets];
}

/** Redacts with the registered secrets. */
export function scrub(text: string): string {
  return redact(text, registeredSecrets());
}

/**
 * allure-jest puts a runtime getter on the test context's global (AllureJestTestRuntime), which is the
 * only sign the facade calls will be recorded.
 */
export function isAllureActive(): boolean {
  return typeof (globalThis as { allureTestRuntime?: unknown }).allureTestRuntime === 'function';
}

/** Runs fn as an Allure step (one per SIP exchange, say); outside Allure just runs fn. */
export async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  if (!isAllureActive()) return await fn();
  return await allure.step(scrub(name), async () => await fn());
}

/** Attaches text (a ladder, a log excerpt, an HTML page) after redaction. */
export async function attachText(name: string, text: string, contentType = 'text/plain'): Promise<void> {
  if (!isAllureActive()) return;
  await allure.attachment(scrub(name), scrub(text), { contentType, fileExtension: extensionFor(contentType) });
}

/**
 * Attaches a file (pcap, ladder, SIPp XML, endpoint log). The content type defaults from the extension.
 * A file holding a secret is attached masked (text: `***`; binary: same-length `*` bytes so a pcap stays
 * readable); otherwise Allure copies it as is.
 */
export async function attachFile(name: string, path: string, contentType: string = contentTypeOf(path)): Promise<void> {
  if (!isAllureActive()) return;
  const data = readFileSync(path);
  const fileExtension = extname(path) || extensionFor(contentType);
  const known = registeredSecrets();
  if (!containsSecret(data, known)) {
    await allure.attachmentPath(scrub(name), path, { contentType, fileExtension });
    return;
  }
  const masked = isTextType(contentType) ? Buffer.from(redact(data.toString('utf8'), known)) : redactBytes(data, known);
  await allure.attachment(scrub(name), masked, { contentType, fileExtension });
}

/** Attaches each file under its base name. */
export async function attachFiles(paths: readonly string[]): Promise<void> {
  for (const p of paths) await attachFile(basename(p), p);
}

export interface TestLabels {
  /** The conformance suite (`register`, `call`…): Allure's feature, so the Behaviors tab groups by it. */
  suite?: string;
  /** What the test ran against: a parameter, shown on the test page and kept out of history ids. */
  target?: string;
  /** RFC references such as `RFC 3261 §17.1.1`: a link to the section each, and a tag per RFC. */
  rfc?: string | readonly string[];
}

/** Labels a test: suite, target, RFC sections. */
export async function labelTest(labels: TestLabels): Promise<void> {
  if (!isAllureActive()) return;
  if (labels.suite) await allure.feature(labels.suite);
  if (labels.target) await allure.parameter('target', scrub(labels.target), { excluded: true });
  const refs = labels.rfc === undefined ? [] : typeof labels.rfc === 'string' ? [labels.rfc] : labels.rfc;
  const rfcs = new Set<number>();
  for (const ref of refs) {
    const link = rfcLink(ref);
    if (!link) continue;
    await allure.link(link.url, link.name);
    rfcs.add(link.rfc);
  }
  for (const rfc of rfcs) await allure.tag(`RFC ${rfc}`);
}

/** `RFC 3261 §17.1.1` (also `rfc3261 section 17.1.1`, `RFC 3261`) → a link to the section on rfc-editor.org. */
export function rfcLink(ref: string): { rfc: number; section?: string; name: string; url: string } | undefined {
  // A qualifier after the section ("§10.3 step 8", "§16.7 steps 5-6") narrows it for the reader; the link is the section's.
  const m = /^\s*rfc\s*(\d+)(?:\s*(?:§|section|sec\.?)\s*([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?(?:\s+(?:steps?|items?|para(?:graph)?s?)\s+[0-9a-z.\- ]+)?\s*$/i.exec(ref);
  if (!m) return undefined;
  const rfc = Number(m[1]);
  const section = m[2];
  const name = section ? `RFC ${rfc} §${section}` : `RFC ${rfc}`;
  const url = `https://www.rfc-editor.org/rfc/rfc${rfc}${section ? `#section-${section}` : ''}`;
  return { rfc, section, name, url };
}

function extensionFor(contentType: string): string | undefined {
  switch (contentType) {
    case 'text/html': return '.html';
    case 'text/plain': return '.txt';
    case 'application/xml':
    case 'text/xml': return '.xml';
    case 'application/json': return '.json';
    case 'image/svg+xml': return '.svg';
    case 'application/vnd.tcpdump.pcap': return '.pcap';
    default: return undefined;
  }
}
