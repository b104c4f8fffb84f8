/**
 * `sipwright lab up|down|status`: the embedded lab kept running, for a person to register their own softphone
 * against it or watch it with sngrep. One lab per machine user; its state lives in the state folder.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kamailio, kamcmd, parseUlDump, stopDetached, type DetachedKamailio } from '../../drivers/kamailio/index.js';
import { installMissing, aptCommand } from '../env/deps.js';
import { probeTarget } from '../lab/probe.js';
import { ConfigError, loadLabConfig } from '../lab/target.js';
import { processStartTime, stateDir } from '../runtime/process-registry.js';
import { CliError, EXIT } from './exit-codes.js';

interface LabState extends DetachedKamailio {
  started: string;
  startTime: string;
  log: string;
}

function stateFile(): string {
  return join(stateDir(), 'lab.json');
}

function readState(): LabState | undefined {
  if (!existsSync(stateFile())) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function running(s: LabState): boolean {
  return processStartTime(s.pid) === s.startTime;
}

export interface LabUpOptions {
  address?: string;
  labConfig?: string;
}

function parseAddress(a: string | undefined): { host: string; port: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(a ?? '127.0.0.1:5060');
  if (!m) throw new CliError(`--address: expected IPv4[:port], e.g. 127.0.0.1:5060, got "${a}"`, EXIT.USAGE);
  const port = m[2] ? Number(m[2]) : 5060;
  if (port < 1 || port > 65535) throw new CliError(`--address: port ${port} is outside 1..65535`, EXIT.USAGE);
  return { host: m[1], port };
}

export async function labUp(o: LabUpOptions, out: (s: string) => void): Promise<number> {
  const existing = readState();
  if (existing && running(existing)) {
    out(`the lab is already up: ${existing.name} (pid ${existing.pid}); \`sipwright lab down\` stops it`);
    return EXIT.OK;
  }
  let lab;
  try {
    lab = loadLabConfig(o.labConfig);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
  const { host, port } = parseAddress(o.address);
  const missing = installMissing('run', (s) => process.stderr.write(s + '\n')).filter((m) => m.dep.command === 'kamailio' || m.dep.command === 'kamcmd');
  if (missing.length) throw new CliError(`missing: Kamailio. Install with: ${aptCommand(['kamailio'])}`, EXIT.ENVIRONMENT);
  mkdirSync(stateDir(), { recursive: true });
  const log = join(stateDir(), 'lab-kamailio.log');
  rmSync(log, { force: true });
  const k = new Kamailio(host, port)
    .withDomain(lab.domain)
    .withAccounts(lab.accounts.map((a) => ({ user: a.authUser ?? a.user, password: a.password })))
    .withRegistrar(lab.registrar);
  let d: DetachedKamailio;
  try {
    d = await k.startDetached(log);
  } catch (e) {
    throw new CliError(`the lab did not start: ${(e as Error).message}`, EXIT.ENVIRONMENT);
  }
  const state: LabState = { ...d, started: new Date().toISOString(), startTime: processStartTime(d.pid), log };
  writeFileSync(stateFile(), JSON.stringify(state, null, 2), { mode: 0o600 });
  out(`lab up: Kamailio registrar and proxy for domain ${lab.domain} at ${host}:${port} (udp and tcp), pid ${d.pid}`);
  out(`accounts: ${lab.accounts.map((a) => a.user).join(', ')} (passwords: the lab config's, see the README's "Lab accounts")`);
  out(`register a softphone with user alice, domain ${lab.domain}, outbound proxy ${host}:${port}; watch with: sngrep -d lo port ${port}`);
  out(`log: ${log}; stop with: sipwright lab down`);
  return EXIT.OK;
}

export async function labDown(out: (s: string) => void): Promise<number> {
  const s = readState();
  if (!s) {
    out('the lab is not up');
    return EXIT.OK;
  }
  if (running(s)) await stopDetached(s);
  else rmSync(s.dir, { recursive: true, force: true });
  rmSync(stateFile(), { force: true });
  out(`lab down: stopped ${s.name}`);
  return EXIT.OK;
}

export async function labStatus(out: (s: string) => void): Promise<number> {
  const s = readState();
  if (!s || !running(s)) {
    out(s ? `the lab is down (${s.name} is no longer running; \`sipwright lab down\` clears its state)` : 'the lab is down; `sipwright lab up` starts it');
    return EXIT.FAILED;
  }
  const { address, port, domain } = s.options;
  let answer: string;
  try {
    answer = await probeTarget({ name: 'lab', host: address, port, transport: 'udp', from: address === '127.0.0.1' ? '127.0.0.1' : address, timeoutMs: 2000 });
  } catch (e) {
    answer = `no answer: ${(e as Error).message}`;
  }
  out(`lab up since ${s.started}: ${s.name} (pid ${s.pid}), domain ${domain}`);
  out(`OPTIONS probe: ${answer}`);
  try {
    const bindings = parseUlDump(await kamcmd(s.ctlSocket, ['ul.dump']));
    out(bindings.length ? `registered (${bindings.length}):` : 'registered: nobody yet');
    for (const b of bindings) out(`  ${b.aor}  ${b.contact}  expires in ${b.expiresIn} s`);
  } catch (e) {
    out(`location table: unavailable (${(e as Error).message})`);
  }
  return EXIT.OK;
}
