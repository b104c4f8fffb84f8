/**
 * What a SIPp exit code means (sipp.hpp / screen.hpp, 3.6.1 and later), refined by what SIPp printed:
 * several different failures share an exit code. SIPp 3.6.1 exits 255 for a global timeout with
 * -timeout_error, and 1 (not a fatal code) when the scenario file cannot be loaded.
 */

export type SippOutcome =
  | 'ok'
  | 'calls-failed'
  | 'no-calls'
  | 'global-timeout'
  | 'bind-error'
  | 'scenario-invalid'
  | 'fatal'
  | 'stopped'
  | 'killed'
  | 'internal-command'
  | 'unknown-result'
  | 'system-error'
  | 'argument-error'
  | 'tls-error';

/** The exit-code table of LAB-NOTES and SIPp's source; negative codes arrive as 256 + code. */
export const EXIT_MEANINGS: ReadonlyMap<number, { outcome: SippOutcome; meaning: string }> = new Map([
  [0, { outcome: 'ok', meaning: 'all calls were successful' }],
  [1, { outcome: 'calls-failed', meaning: 'at least one call failed' }],
  [95, { outcome: 'stopped', meaning: 'the test was stopped manually' }],
  [96, { outcome: 'killed', meaning: 'the test was killed' }],
  [97, { outcome: 'internal-command', meaning: 'exit on an internal command (exec int_cmd)' }],
  [98, { outcome: 'unknown-result', meaning: 'the test result is unknown' }],
  [99, { outcome: 'no-calls', meaning: 'normal exit without calls processed' }],
  [255, { outcome: 'fatal', meaning: 'fatal error (-1)' }],
  [254, { outcome: 'bind-error', meaning: 'fatal error binding a socket (-2)' }],
  [253, { outcome: 'system-error', meaning: 'system error (-3)' }],
  [252, { outcome: 'argument-error', meaning: 'invalid command line argument (-4)' }],
]);

/** What SIPp 3.6 prints when it refuses a scenario while loading it (it then exits 1, or 255). */
const SCENARIO_REJECTED = [
  /Unable to load or parse '.*' xml scenario file/,
  /The label '.*' was not defined/,
  /Unknown (action|element|scenario)/i,
  /Variable \$\S+ is referenced \d+ times/,
  /is referenced but (not|never) (assigned|set)/,
  /is missing the required '.*' parameter/,
  /is not a valid (integer|time|boolean)/,
  /Unexpected <\/\S+> \(expected/,
  /Transaction \S+ (is never started|has no responses)/,
];

export interface Interpretation {
  outcome: SippOutcome;
  meaning: string;
}

/** The meaning of an exit (code or signal), made precise with the diagnostics SIPp wrote. */
export function interpretExit(code: number | null, signal: NodeJS.Signals | null, diagnostics: string): Interpretation {
  if (code === null) {
    return { outcome: 'killed', meaning: `SIPp was ended by ${signal ?? 'a signal'} before it could report a result` };
  }
  const base = EXIT_MEANINGS.get(code) ?? { outcome: 'fatal' as const, meaning: `undocumented exit code ${code}` };
  if (SCENARIO_REJECTED.some((re) => re.test(diagnostics))) {
    return { outcome: 'scenario-invalid', meaning: `${base.meaning}: the scenario was rejected by SIPp` };
  }
  if (/TLS verification error|verify error:|Error in SSL_(connect|accept)/.test(diagnostics)) {
    const why = /verify error:num=\d+:([^:\n]+)/.exec(diagnostics)?.[1];
    return {
      outcome: 'tls-error',
      meaning: `${base.meaning}: the TLS handshake failed${why ? `, the peer's certificate did not verify against -tls_ca (${why})` : ''}`,
    };
  }
  if (code === 255 && /timed out after/.test(diagnostics)) {
    return { outcome: 'global-timeout', meaning: 'the global timeout (-timeout with -timeout_error) was reached before all calls ended' };
  }
  if (code === 254) {
    const which = /remote control socket/.test(diagnostics) ? 'the control port (-cp)' : /main socket|bind/i.test(diagnostics) ? 'the SIP port' : 'a socket';
    return { outcome: 'bind-error', meaning: `${base.meaning}: could not bind ${which}` };
  }
  return base;
}
