/** `sipwright check-message FILE`: is this one raw SIP message valid, and if not, why. */
import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../sip/diagnostics.js';
import { parseMessage } from '../sip/parser.js';
import { CliError, EXIT } from './exit-codes.js';

export function checkMessageCommand(file: string, options: { json?: boolean; stream?: boolean }, out: (s: string) => void): number {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? readFileSync(0) : readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const r = parseMessage(bytes, { framing: options.stream ? 'stream' : 'datagram' });
  if (r.incomplete) {
    out(`${file}: incomplete: the bytes end before the message does (Content-Length or header section)`);
    return EXIT.FAILED;
  }
  const diags = r.message ? r.message.validate() : r.diagnostics;
  const errors = diags.filter((d) => d.severity === 'error');
  const text = bytes.toString('latin1');
  if (options.json) {
    out(JSON.stringify({ file, valid: !!r.message && errors.length === 0, kind: r.message?.kind, method: r.message?.method, status: r.message?.kind === 'response' ? r.message.status : undefined, diagnostics: diags }));
  } else {
    const what = r.message ? (r.message.kind === 'request' ? `${r.message.method} request` : `${r.message.status} response`) : 'not a SIP message';
    out(`${file}: ${what}, ${errors.length === 0 && r.message ? 'valid' : 'INVALID'}${diags.length ? '' : ', no remarks'}`);
    for (const d of diags) out(`  ${formatDiagnostic(d, text)}`);
  }
  return r.message && errors.length === 0 ? EXIT.OK : EXIT.FAILED;
}
