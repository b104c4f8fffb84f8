/**
 * Registration (RFC 3261 §10) compiled to one SIPp call: a series of REGISTERs on one Call-ID with rising
 * CSeq, each answered to a challenge from the account. Every final response is taken: the verdict is made on
 * the wire by the test, not by SIPp's exit code.
 */
import { scenario, type Action, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { CALL_ID, MAX_FORWARDS, message, UAC_TAG, VIA } from './sip-text.js';
import { labels, transaction, type Compile } from './transaction.js';

/** One binding: a contact user at this UA's own address, or an explicit host and port. */
export interface ContactSpec {
  /** The contact's user part (a test makes it unique per binding: alice-t3a). Default: the AoR's user. */
  user?: string;
  /** Default: this UA's own address and port. */
  host?: string;
  port?: number;
  expires?: number;
  q?: number;
  /** Further contact parameters, e.g. `+sip.instance="<urn:uuid:…>";reg-id=1`. */
  params?: string;
  /** `sips` for a contact reached over TLS end to end (RFC 5630 §3.1.3): no transport parameter then. */
  scheme?: 'sip' | 'sips';
}

export interface RegisterStep {
  /** The Contact header values; `[]` sends none (a query), `'*'` the wildcard. Default: one binding of the AoR's user. */
  contacts?: ContactSpec[] | '*';
  /** The Expires header: seconds, or the Min-Expires of the 423 the step before got. Absent: no Expires header. */
  expires?: number | 'min-expires';
  /** Wait this long before the step's REGISTER (a nonce left to grow stale). */
  afterMs?: number;
  /** Send the credentials of the step before's challenge at once, its nonce reused (RFC 7616 §3.4), rather than wait for a challenge. */
  reuseNonce?: boolean;
}

export interface RegistrationSpec {
  name: string;
  /** The AoR: user@domain. */
  user: string;
  domain: string;
  steps: RegisterStep[];
  canAuth: boolean;
  t1Ms: number;
  /** `;transport=tcp` (or tls) on its contacts when it registers over TCP (or TLS). */
  transport: 'udp' | 'tcp' | 'tls';
}

const KEEP_MIN_EXPIRES: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'Min-Expires:', assign_to: 'minexp' } };

function contactValue(c: ContactSpec, aorUser: string, transport: 'udp' | 'tcp' | 'tls'): string {
  const here = c.host === undefined;
  const host = here ? '[local_ip]:[local_port]' : `${c.host}${c.port !== undefined ? `:${c.port}` : ''}`;
  // Over TCP a contact says so, or the registrar would reach it over UDP (RFC 3263 §4.1: no transport
  // parameter means UDP); an explicit contact is another socket of this UA's party (a phone's second port).
  const uri = c.scheme === 'sips' ? `sips:${c.user ?? aorUser}@${host}` : `sip:${c.user ?? aorUser}@${host}${transport === 'udp' ? '' : `;transport=${transport}`}`;
  return `<${uri}>${c.q !== undefined ? `;q=${c.q}` : ''}${c.expires !== undefined ? `;expires=${c.expires}` : ''}${c.params ? `;${c.params.replace(/^;/, '')}` : ''}`;
}

export function compileRegistration(spec: RegistrationSpec): ScenarioBuilder {
  const s = scenario(spec.name);
  const c: Compile = { s, label: labels(), canAuth: spec.canAuth, t1Ms: spec.t1Ms };
  const aor = `sip:${spec.user}@${spec.domain}`;
  spec.steps.forEach((step, i) => {
    const contacts = step.contacts === '*' ? ['*'] : (step.contacts ?? [{}]).map((x) => contactValue(x, spec.user, spec.transport));
    if (step.expires === 'min-expires' && i === 0) throw new Error(`registration ${spec.name}: step 1 asks for the Min-Expires of a 423 that no earlier step can have got`);
    const expires = step.expires === undefined ? [] : [`Expires: ${step.expires === 'min-expires' ? '[$minexp]' : step.expires}`];
    const keepMin = spec.steps[i + 1]?.expires === 'min-expires';
    if (step.reuseNonce && (i === 0 || !spec.canAuth)) throw new Error(`registration ${spec.name}: step ${i + 1} reuses a nonce, which needs an account and a challenge taken by an earlier step`);
    if (step.afterMs) s.pause(step.afterMs);
    transaction(c, {
      preemptive: step.reuseNonce,
      text: (auth) =>
        message([
          `REGISTER sip:${spec.domain} SIP/2.0`, VIA, MAX_FORWARDS, `From: <${aor}>;${UAC_TAG}`, `To: <${aor}>`, CALL_ID, 'CSeq: [cseq] REGISTER',
          ...contacts.map((v) => `Contact: ${v}`), ...expires, ...(auth ? ['[authentication]'] : []),
        ]),
      accept: 'any',
      onFinal: keepMin ? [KEEP_MIN_EXPIRES] : undefined,
    });
  });
  return s;
}
