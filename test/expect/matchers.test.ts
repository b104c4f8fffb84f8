import '../../src/expect/index.js';
import { matchFlow, parseStep } from '../../src/expect/flow.js';
import { toBeAnsweredWith, toHaveFlow, toHaveHeader } from '../../src/expect/matchers.js';
import { flow } from '../support/flow.js';

function registerFlow() {
  return flow()
    .register('alice')
    .reply(401, { headers: { 'WWW-Authenticate': 'Digest realm="lab", nonce="n1", qop="auth"' } })
    .register('alice')
    .reply(200, { headers: { Contact: '<sip:alice@127.0.0.1>;expires=3600' } })
    .trace();
}

describe('flow steps', () => {
  test('strings parse into party, method and status steps', () => {
    expect(parseStep('alice -> registrar REGISTER')).toEqual({ from: 'alice', to: 'registrar', method: 'REGISTER' });
    expect(parseStep('registrar -> alice: 401')).toEqual({ from: 'registrar', to: 'alice', status: 401 });
    expect(parseStep('2xx')).toEqual({ status: '2xx' });
    expect(parseStep('127.0.0.1:5060 -> 127.0.0.2:5060 BYE')).toEqual({ from: '127.0.0.1:5060', to: '127.0.0.2:5060', method: 'BYE' });
    expect(() => parseStep('alice -> ')).toThrow(/expected "from -> to METHOD\|STATUS"/);
  });

  test('an exact flow passes, and a retransmission does not break it', () => {
    const t = flow().register('alice').again().reply(200).trace();
    expect(t.messages.filter((m) => m.retransmission)).toHaveLength(1);
    expect(t).toHaveFlow(['alice -> registrar REGISTER', 'registrar -> alice 200']);
  });

  test('a wrong status fails, naming the step and marking the message in the ladder', () => {
    const t = registerFlow();
    const r = toHaveFlow(t, ['alice -> registrar REGISTER', 'registrar -> alice 407', 'alice -> registrar REGISTER', 'registrar -> alice 200']);
    expect(r.pass).toBe(false);
    const msg = r.message();
    expect(msg).toMatch(/step 2: expected registrar -> alice 407, got registrar -> alice 401/);
    expect(msg).toMatch(/#1 marked/);
    expect(msg).toContain('WWW-Authenticate');
  });

  test('a missing tail and an unexpected extra message both fail', () => {
    const t = registerFlow();
    expect(matchFlow(t, ['REGISTER', '401'].map(parseStep)).reason).toMatch(/unexpected message 3/);
    expect(matchFlow(t, ['REGISTER', '401', 'REGISTER', '200', 'REGISTER'].map(parseStep)).reason).toMatch(/step 5 .* is missing/);
  });

  test('subsequence mode skips messages in between but keeps the order', () => {
    const t = registerFlow();
    expect(t).toHaveFlow(['REGISTER', '200'], { subsequence: true });
    expect(matchFlow(t, ['200', '401'].map(parseStep), { subsequence: true }).pass).toBe(false);
  });
});

describe('message matchers', () => {
  test('toHaveHeader checks presence and value, and prints the ladder on failure', () => {
    const t = registerFlow();
    const challenge = t.first({ status: 401 })!;
    expect(challenge).toHaveHeader('WWW-Authenticate');
    expect(challenge).toHaveHeader('WWW-Authenticate', /realm="lab"/);
    const r = toHaveHeader(challenge, 'Min-Expires', 60);
    expect(r.pass).toBe(false);
    expect(r.message()).toMatch(/to have Min-Expires: 60, it has no Min-Expires header/);
  });

  test('toBeAnsweredWith looks at the final response of the request\'s transaction', () => {
    const t = registerFlow();
    const [first, second] = t.requests('REGISTER');
    expect(first).toBeAnsweredWith(401);
    expect(second).toBeAnsweredWith('2xx');
    const r = toBeAnsweredWith(first, 200);
    expect(r.pass).toBe(false);
    expect(r.message()).toMatch(/to be answered 200, it got 401/);
  });
});
