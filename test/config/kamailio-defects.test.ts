/**
 * The Kamailio negative controls cannot drift from the good config: every defect, rendered with the same options
 * as the good config, differs from it, and only where it declares (drivers/kamailio/defects.ts). The hand-copied
 * routes this replaced had lost route[RELAY]'s INVITE t_set_retr fix and route[REGISTRAR]'s 403 check; the
 * check below is shown to catch exactly those copies.
 */
import { applyRouteOverrides, renderKamailioConfig } from '../../drivers/kamailio/config.js';
import { KAMAILIO_BLOCKS, KAMAILIO_DEFECTS, KAMAILIO_DEFECT_NAMES, kamailioDefect, type KamailioDefect } from '../../drivers/kamailio/defects.js';
import { Kamailio } from '../../drivers/kamailio/driver.js';
import type { KamailioOptions } from '../../drivers/kamailio/options.js';
import { cfgBlocks } from './cfg-blocks.js';
import { undeclaredChanges } from './defect-drift.js';

const ACCOUNTS = [
  { user: 'alice', password: 'alice-secret' },
  { user: 'bob', password: 'bob "quoted" $secret' },
];
const PATHS = { ctlSocket: '/run/sipwright/kamailio_ctl' };

/** As test/suites start their controls, and with what else the template fills in moved. */
const OPTIONS: Record<string, () => Kamailio> = {
  'the options the suites use': () => new Kamailio('127.100.200.10').withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100).withPeer('other.test', '127.100.200.11').withNumbers({ '100': 'alice', '+4930100': 'alice', '004930100': 'alice', '0301': 'bob' }),
  'the defaults': () => new Kamailio('127.0.0.9'),
  'two peers, T1 250 ms, udp only, proxy only': () =>
    new Kamailio('127.0.0.9', 5080).withTransports('udp').withRoles({ registrar: false }).withAccounts(ACCOUNTS).withT1(250).withPeer('a.test', '192.0.2.7', 5070).withPeer('b.test', '192.0.2.8'),
  'registrar only, a short Timer C': () => new Kamailio('127.0.0.9').withDomain('lab.test').withRoles({ proxy: false }).withInviteTimeout(5000).withRegistrar({ maxContacts: 2 }),
};

function render(o: Readonly<KamailioOptions>, defects: KamailioDefect[] = []): string {
  return renderKamailioConfig({ ...o, defects }, PATHS);
}

const suitesOptions = OPTIONS['the options the suites use']().options;

test('the config has exactly the blocks a defect can name, in that order', () => {
  expect([...cfgBlocks(render(suitesOptions)).blocks.keys()]).toEqual([...KAMAILIO_BLOCKS]);
});

describe.each(Object.keys(OPTIONS))('rendered with %s', (name) => {
  const o = OPTIONS[name]().options;
  const good = render(o);

  test.each(KAMAILIO_DEFECT_NAMES)('%s differs from the good config, and only where it declares', (defect) => {
    const broken = render(o, [defect]);
    expect(broken).not.toBe(good);
    expect(undeclaredChanges(good, broken, KAMAILIO_DEFECTS[defect])).toEqual([]);
  });
});

describe('the drift check', () => {
  const good = render(suitesOptions);

  // The route blocks of fixtures/kamailio/broken/sdp-mangled.cfg and contacts-dropped.cfg as they were.
  const oldSdpMangled = `route[RELAY] {
\tif (has_body("application/sdp")) {
\t\treplace_body_all("c=IN IP4 [0-9.]+", "c=IN IP4 192.0.2.1");
\t}
\tif (!t_relay()) {
\t\tsl_reply_error();
\t}
\texit;
}`;
  const oldContactsDropped = `route[REGISTRAR] {
\tif (!is_present_hf("Authorization")) {
\t\twww_challenge("$td", "1");
\t\texit;
\t}
\troute(PASSWORD);
\tif ($var(pw) == "" || !pv_www_authenticate("$td", "$var(pw)", "1")) {
\t\twww_challenge("$td", "1");
\t\texit;
\t}
\tconsume_credentials();
\tsave("location", "0x04");
\texit;
}`;

  test('catches a copied route[RELAY] without the INVITE t_set_retr fix', () => {
    expect(undeclaredChanges(good, applyRouteOverrides(good, [oldSdpMangled]), KAMAILIO_DEFECTS['sdp-mangled'])).toEqual([
      expect.stringMatching(/^route\[RELAY\]: it may take out only nothing and add lines; [^]*^- \t\tt_set_retr\(0, 6400\);$/m),
    ]);
  });

  test('catches a copied route[REGISTRAR] without the 403 check (and with another realm)', () => {
    expect(undeclaredChanges(good, applyRouteOverrides(good, [oldContactsDropped]), KAMAILIO_DEFECTS['contacts-dropped'])).toEqual([
      expect.stringMatching(/^route\[REGISTRAR\]: it may take out only `save\("location"\);` and add lines; [^]*^- \tif \(\$au != \$tU\) \{$/m),
    ]);
  });

  test('catches a change in a block the defect does not declare, and a declared block left as it is', () => {
    expect(undeclaredChanges(good, render(suitesOptions, ['no-fork']), KAMAILIO_DEFECTS['sdp-mangled'])).toEqual([
      'route[RELAY]: declared, but left as it is',
      expect.stringMatching(/^route\[LOCATION\], which it does not declare, changed:\n[^]*^\+ \tclear_branches\(\);$/m),
    ]);
  });

  test('catches a declaration naming a good line that is not there (the good block moved on)', () => {
    const spec = { ...KAMAILIO_DEFECTS['contacts-dropped'], touches: { 'route[REGISTRAR]': ['save("location", "0x01");'] } };
    expect(undeclaredChanges(good, render(suitesOptions, ['contacts-dropped']), spec)).toEqual([
      expect.stringMatching(/^route\[REGISTRAR\]: it declares taking out `save\("location", "0x01"\);`, which the good block does not have$/),
      expect.stringMatching(/^route\[REGISTRAR\]: it may take out only nothing/),
    ]);
  });
});

describe('defect names', () => {
  test('an unknown name is a type error, and a clear error at run time', () => {
    const known = /unknown Kamailio defect "no-such-defect"; the known ones are no-auth-challenge, wrong-password-accepted, .*serial-ignored$/;
    // @ts-expect-error: not a defect name
    expect(() => new Kamailio('127.0.0.9').withDefects('no-such-defect')).toThrow(known);
    expect(() => kamailioDefect('no-such-defect')).toThrow(known);
    expect(() => render(suitesOptions, ['no-such-defect' as KamailioDefect])).toThrow(known);
  });

  test('withDefects adds to the options the config is rendered from, each name once', () => {
    const k = new Kamailio('127.0.0.9').withDefects('no-fork').withDefects('sdp-mangled', 'no-fork');
    expect(k.options.defects).toEqual(['no-fork', 'sdp-mangled']);
    expect(new Kamailio('127.0.0.9').options.defects).toEqual([]);
  });

  test('each defect says in one line what it breaks and which test of which suite must fail', () => {
    for (const name of KAMAILIO_DEFECT_NAMES) {
      const d = KAMAILIO_DEFECTS[name];
      expect({ name, oneLine: !d.description.includes('\n'), namesTest: /: fails /.test(d.description), blocks: Object.keys(d.touches).length > 0 }).toEqual({ name, oneLine: true, namesTest: true, blocks: true });
    }
  });
});
