/**
 * Runtime folders sipwright makes for an endpoint (a Kamailio's config with account hashes, an Asterisk's TLS
 * key). Each is removed when its endpoint stops; those still here when the process exits or gets a signal
 * (Ctrl-C) are removed then (exit-cleanup.ts). Inside a jest worker those hooks do not fire (jest's sandboxed `process`): there,
 * as for a process killed outright, the process registry records the folder with the endpoint's process group,
 * and reapStale removes both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitOrSignal } from './exit-cleanup.js';

const owned = new Set<string>();
let hooked = false;

/** A fresh folder under the system temp dir, named `sipwright-<what>-XXXXXX`, removed at exit at the latest. */
export function ownTempDir(what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sipwright-${what}-`));
  owned.add(dir);
  if (!hooked) {
    hooked = true;
    onExitOrSignal(removeAll);
  }
  return dir;
}

function removeAll(): void {
  for (const d of owned) rmSync(d, { recursive: true, force: true });
  owned.clear();
}

/** Removes a folder from ownTempDir now. */
export function removeTempDir(dir: string): void {
  owned.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}
