import { resolveAll, resolveHost, RESOLVED_ENV, UnresolvableHost } from '../../src/lab/resolve.js';

/** A target's DNS name is looked up once by `sipwright run`; its workers take the answer from the environment. */
describe('resolving a target address', () => {
  const saved = process.env[RESOLVED_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[RESOLVED_ENV];
    else process.env[RESOLVED_ENV] = saved;
  });

  test('an IP address is itself, v4 or v6, with no lookup', async () => {
    await expect(resolveHost('198.18.0.2', 'target')).resolves.toBe('198.18.0.2');
    await expect(resolveHost('2001:db8::5', 'target')).resolves.toBe('2001:db8::5');
  });

  test('a name that resolves gives its address (localhost, from the system resolver)', async () => {
    expect(['127.0.0.1', '::1']).toContain(await resolveHost('localhost', 'target'));
  });

  test("a worker uses the run's answer for a name, and never looks it up again", async () => {
    process.env[RESOLVED_ENV] = JSON.stringify({ 'pbx.nowhere.invalid': '198.18.0.2' });
    // The name itself resolves nowhere: only the run's answer can give an address.
    await expect(resolveHost('pbx.nowhere.invalid', 'target')).resolves.toBe('198.18.0.2');
  });

  test('the run resolves each name once, whatever the number of targets naming it', async () => {
    const out = await resolveAll([
      { host: 'localhost', what: 'a' },
      { host: 'localhost', what: 'b' },
      { host: '198.18.0.2', what: 'c' },
    ]);
    expect(Object.keys(out)).toEqual(['localhost']);
  });

  test('a name that does not resolve is an error naming the target and the name', async () => {
    const e = await resolveHost('sip.nowhere.invalid', 'target file pbx.yaml: address').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnresolvableHost);
    expect((e as Error).message).toMatch(/^target file pbx\.yaml: address: "sip\.nowhere\.invalid" (does not resolve|did not resolve within 5 s)/);
  });
});
