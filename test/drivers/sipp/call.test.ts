/**
 * Real SIPp on loopback: a UAS started in the background (ready when its socket is bound), a UAC run in the
 * foreground, and the capture as proof of what went over the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundSockets, scenario, Sipp } from '../../../drivers/sipp/index.js';
import { extractSip } from '../../../src/capture/extract.js';
import { LiveCapture } from '../../../src/capture/live.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { Trace } from '../../../src/trace/trace.js';
import { answerer, caller } from '../../support/ua.js';
import { sippProcessesIn } from './support.js';

const canCapture = process.getuid?.() === 0;

describe('SIPp calls on loopback (real SIPp)', () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-sipp-call-'));
  });
  afterAll(() => {
    // Teardown is part of the feature: no SIPp may be left on this block's addresses.
    const left = sippProcessesIn(block.cidr);
    block.release();
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  async function captured<T>(body: () => Promise<T>): Promise<{ value: T; trace: Trace }> {
    const cap = await LiveCapture.start({ file: join(dir, `c-${Date.now()}.pcap`), filter: `net ${block.cidr}`, markerAddress: block.host(254) });
    try {
      const value = await body();
      await cap.stop();
      return { value, trace: Trace.fromCapture(extractSip(cap.bytes())) };
    } finally {
      await cap.stop();
    }
  }

  test('UAS in the background, UAC in the foreground: one call over UDP, both report success, and the wire shows the call', async () => {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    const { value, trace } = await captured(async () => {
      const uas = await new Sipp(answerer()).withLocal(bob, 5060).withTimeout(5000).withLogDir(dir).start();
      // Ready means bound: nothing of this SIPp is on the wildcard address, the control socket included.
      const sockets = boundSockets(uas.pid);
      expect(sockets.filter((s) => s.wildcard)).toEqual([]);
      expect(sockets.length).toBeGreaterThanOrEqual(2); // SIP and control sockets at least
      const uac = await new Sipp(caller()).withLocal(alice, 5060).withRemote(uas.hostPort).withTimeout(5000).withLogDir(dir).run();
      return { uac, uas: await uas.wait() };
    });
    const { uac, uas } = value;
    expect(uac).toMatchObject({ ok: true, exitCode: 0, outcome: 'ok', meaning: 'all calls were successful', errors: [] });
    expect(uas).toMatchObject({ ok: true, exitCode: 0 });
    expect(uac.stats).toMatchObject({ successful: 1, failed: 0, outgoing: 1 });
    expect(uas.stats).toMatchObject({ successful: 1, failed: 0, incoming: 1 });
    // Every step of the scenario is read, in its order, those no message went through (at 0) included.
    const rows = uac.stats.messages.map((m) => `${m.direction}:${m.label}:${m.messages}`);
    expect(rows).toHaveLength((uac.xml.match(/<(send|recv|nop|pause)\b/g) ?? []).length);
    expect(rows.slice(0, 4)).toEqual(['sent:INVITE:1', 'received:100:0', 'received:180:1', 'received:183:0']);
    expect(rows.filter((r) => !r.endsWith(':0'))).toEqual(['sent:INVITE:1', 'received:180:1', 'received:200:1', 'sent:ACK:1', 'sent:BYE:1', 'received:200:1']);
    expect(uas.stats.messages.filter((m) => m.messages > 0).map((m) => `${m.direction}:${m.label}`)).toEqual([
      'received:INVITE',
      'sent:180',
      'sent:200',
      'received:ACK',
      'received:BYE',
      'sent:200',
    ]);
    const labels = trace.messages.map((m) => `${m.src.ip}>${m.dst.ip} ${m.message.kind === 'request' ? m.message.method : m.message.status}`);
    expect(labels).toEqual([
      `${alice}>${bob} INVITE`,
      `${bob}>${alice} 180`,
      `${bob}>${alice} 200`,
      `${alice}>${bob} ACK`,
      `${alice}>${bob} BYE`,
      `${bob}>${alice} 200`,
    ]);
    // -cid_str makes the Call-ID unique per run, not SIPp's pid-based default.
    expect(trace.messages[0].message.get('call-id')).toMatch(/^sipwright-[0-9a-f]{12}-1@/);
    // The 200 to the BYE echoes the BYE's To, whose tag is already bob's: one tag, not two.
    const byeOk = trace.messages[trace.messages.length - 1].message;
    expect(byeOk.get('to')!.match(/;tag=/g)).toHaveLength(1);
    expect(byeOk.toTag).toBe(trace.messages.find((m) => m.message.kind === 'response' && m.message.status === 200)!.message.toTag);
  });

  test('the same call over TCP (t1)', async () => {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    const uas = await new Sipp(answerer()).withLocal(bob, 5070).withTransport('tcp').withTimeout(5000).withLogDir(dir).start();
    expect(boundSockets(uas.pid).some((s) => s.transport === 'tcp' && s.port === 5070 && !s.wildcard)).toBe(true);
    const uac = await new Sipp(caller()).withLocal(alice, 5070).withRemote(uas.hostPort).withTransport('tcp').withTimeout(5000).withLogDir(dir).run();
    const uasResult = await uas.wait();
    expect([uac.exitCode, uasResult.exitCode]).toEqual([0, 0]);
    expect(uac.command).toContain('-t t1');
    expect(uac.stats.successful).toBe(1);
  });

  (canCapture ? test : test.skip)('Record-Route is honoured: the UAC sends ACK and BYE to the Contact with the route set; the UAS echoes Record-Route and routes its own BYE', async () => {
    const alice = block.allocateHost();
    const bob = block.allocateHost();
    const proxy = block.allocateHost(); // only named in Record-Route: SIPp still sends to its remote address
    // A callee that answers as if a proxy had record-routed the call.
    const rrUas = scenario('rr-uas')
      .recv({ request: 'INVITE' })
      .send(
        `SIP/2.0 200 OK
         [last_Via:]
         [last_From:]
         [last_To:];tag=callee[call_number]
         [last_Call-ID:]
         [last_CSeq:]
         Record-Route: <sip:${proxy};lr>
         Contact: <sip:bob@[local_ip]:[local_port]>
         Content-Length: 0`,
        { retrans: 500 },
      )
      .recv({ request: 'ACK' })
      .recv({ request: 'BYE' })
      .send(
        `SIP/2.0 200 OK
         [last_Via:]
         [last_From:]
         [last_To:]
         [last_Call-ID:]
         [last_CSeq:]
         Content-Length: 0`,
      );
    // A caller whose INVITE carries a Record-Route, and that takes the callee's BYE.
    const rrUac = scenario('rr-uac')
      .send(
        `INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0
         Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
         Record-Route: <sip:${proxy};lr>
         Max-Forwards: 70
         From: <sip:alice@[local_ip]>;tag=caller[call_number]
         To: <sip:bob@[remote_ip]>
         Call-ID: [call_id]
         CSeq: 1 INVITE
         Contact: <sip:alice@[local_ip]:[local_port]>
         Content-Length: 0`,
      )
      .recv({ response: 180, optional: true })
      .recv({ response: 200 })
      .send(
        `ACK sip:bob@[remote_ip]:[remote_port] SIP/2.0
         Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
         Route: <sip:${proxy};lr>
         Max-Forwards: 70
         From: <sip:alice@[local_ip]>;tag=caller[call_number]
         To: <sip:bob@[remote_ip]>[peer_tag_param]
         Call-ID: [call_id]
         CSeq: 1 ACK
         Content-Length: 0`,
      )
      .recv({ request: 'BYE' })
      .send(
        `SIP/2.0 200 OK
         [last_Via:]
         [last_From:]
         [last_To:]
         [last_Call-ID:]
         [last_CSeq:]
         Content-Length: 0`,
      );

    const { value, trace } = await captured(async () => {
      const callee = await new Sipp(rrUas).withLocal(bob, 5060).withTimeout(5000).withLogDir(dir).start();
      const uac = await new Sipp(caller({ uri: 'sip:bob@[remote_ip]:[remote_port]' })).withLocal(alice, 5060).withRemote(callee.hostPort).withTimeout(5000).withLogDir(dir).run();
      const calleeResult = await callee.wait();
      const uas = await new Sipp(answerer({ options: { hangupAfterMs: 200 } })).withLocal(bob, 5062).withTimeout(5000).withLogDir(dir).start();
      const rrCaller = await new Sipp(rrUac).withLocal(alice, 5062).withRemote(uas.hostPort).withTimeout(5000).withLogDir(dir).run();
      return [uac, calleeResult, await uas.wait(), rrCaller];
    });
    expect(value.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);

    const [ack, bye] = trace.find({ method: ['ACK', 'BYE'] }).filter((m) => m.src.ip === alice && m.src.port === 5060);
    for (const m of [ack, bye]) {
      if (m.message.kind !== 'request') throw new Error('expected a request');
      expect(m.message.uriText).toBe(`sip:bob@${bob}:5060`);
      expect(m.message.get('route')).toBe(`<sip:${proxy};lr>`);
    }
    const fromUas = trace.messages.filter((m) => m.src.ip === bob && m.src.port === 5062);
    const answered = fromUas.filter((m) => m.message.kind === 'response' && (m.message.status === 180 || m.message.status === 200) && m.message.get('cseq')?.includes('INVITE'));
    expect(answered.length).toBeGreaterThanOrEqual(2);
    for (const m of answered) expect(m.message.get('record-route')).toBe(`<sip:${proxy};lr>`);
    const uasBye = fromUas.find((m) => m.message.kind === 'request' && m.message.method === 'BYE');
    if (uasBye?.message.kind !== 'request') throw new Error('the UAS sent no BYE');
    expect(uasBye.message.uriText).toBe(`sip:alice@${alice}:5062`);
    expect(uasBye.message.get('route')).toBe(`<sip:${proxy};lr>`);
    expect(uasBye.message.get('to')).toMatch(/tag=caller1/);
  });

  test('stop() ends a background UAS that never got a call, with its statistics, and leaves no process', async () => {
    const bob = block.allocateHost();
    const uas = await new Sipp(answerer()).withLocal(bob, 5060).withTimeout(20_000).withLogDir(dir).start();
    expect(uas.running).toBe(true);
    const result = await uas.stop();
    expect(uas.running).toBe(false);
    expect(result.signal).toBeNull(); // SIGUSR1 made it exit by itself
    expect(result).toMatchObject({ stopped: true, ok: false, outcome: 'stopped' });
    expect(result.stats).toMatchObject({ successful: 0, failed: 0, created: 0 });
    expect(result.durationMs).toBeLessThan(5000);
    expect(() => process.kill(uas.pid, 0)).toThrow();
  });
});
