import { createHash } from 'node:crypto';
import {
  buildAuthorization,
  checkCredentials,
  computeDigestResponse,
  computeHA1,
  computeHA2,
  computeUserhash,
  digestHash,
  digestHexLength,
  formatChallenge,
  formatCredentials,
  isSupportedAlgorithm,
  normalizeAlgorithm,
  parseChallenge,
  parseChallenges,
  parseCredentials,
  verifyCredentials,
  type AuthDiagnostic,
  type DigestAlgorithm,
} from '../../src/sip/digest.js';
import { parseAuthParamList } from '../../src/sip/auth-params.js';

const codes = (d: AuthDiagnostic[]) => d.map((x) => x.code);

describe('published digest vectors', () => {
  test('RFC 2617 §3.5 (Mufasa, MD5, qop=auth)', () => {
    const input = {
      algorithm: 'MD5',
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      cnonce: '0a4f113b',
      nc: 1,
      qop: 'auth',
    } as const;
    expect(computeDigestResponse(input)).toBe('6629fae49393a05397450978507c4ef1');
    const wire =
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
      'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const c = parseCredentials(wire);
    expect(c.diagnostics).toEqual([]);
    expect(verifyCredentials(c, { password: 'Circle Of Life', method: 'GET' })).toBe(true);
    expect(verifyCredentials(c, { password: 'Circle of Life', method: 'GET' })).toBe(false);
  });

  // RFC 7616 §3.9.1: one challenge pair, answered once with MD5 and once with SHA-256.
  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
    qop: 'auth',
  } as const;

  test('RFC 7616 §3.9.1 MD5 and SHA-256 responses', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'sha-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  test('RFC 7616 §3.9.1 folded challenge is answered with the published SHA-256 credentials', () => {
    // The header exactly as the RFC lays it out: one line per parameter, continuation lines indented.
    const challenge =
      'Digest\r\n    realm="http-auth@example.org",\r\n    qop="auth, auth-int",\r\n    algorithm=SHA-256,\r\n' +
      '    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const ch = parseChallenge(challenge);
    expect(ch.diagnostics).toEqual([]);
    expect(ch.qop).toEqual(['auth', 'auth-int']);
    expect(ch.algorithm).toBe('SHA-256');
    const value = buildAuthorization(ch, { username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: rfc7616.cnonce });
    expect(value).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
        'uri="/dir/index.html", response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", algorithm=SHA-256, ' +
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001',
    );
    const published =
      'Digest username="Mufasa",\r\n    realm="http-auth@example.org",\r\n    uri="/dir/index.html",\r\n    algorithm=SHA-256,\r\n' +
      '    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n    nc=00000001,\r\n    cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",\r\n' +
      '    qop=auth,\r\n    response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",\r\n' +
      '    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const c = parseCredentials(published);
    expect(c.diagnostics).toEqual([]);
    expect(checkCredentials(c, { password: 'Circle of Life', method: 'GET', realm: 'http-auth@example.org' })).toEqual({
      ok: true,
      expected: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
  });

  // RFC 7616 §3.9.2 (SHA-512-256, userhash) is deliberately absent: its published userhash and response
  // cannot be reproduced from its own inputs (RFC errata 4897), so the SHA-512/256 checks below use
  // values computed with openssl instead.

  describe('SIP INVITE examples of draft-smith-sipping-auth-examples-01 (bob / zanzibar / biloxi.com)', () => {
    const bob = {
      username: 'bob',
      realm: 'biloxi.com',
      password: 'zanzibar',
      method: 'INVITE',
      uri: 'sip:bob@biloxi.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      cnonce: '0a4f113b',
      nc: 1,
    };
    const sdp = Buffer.from(
      'v=0\r\no=bob 2890844526 2890844526 IN IP4 media.biloxi.com\r\ns=-\r\nc=IN IP4 media.biloxi.com\r\nt=0 0\r\n' +
        'm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n' +
        'm=video 53000 RTP/AVP 32\r\na=rtpmap:32 MPV/90000\r\n',
    );
    test.each([
      ['3.1 no qop', undefined, undefined, 'bf57e4e0d0bffc0fbaedce64d59add5e'],
      ['3.2 qop=auth', undefined, 'auth', '89eb0059246c02b2f6ee02c7961d5ea3'],
      ['3.3 algorithm=MD5, qop=auth', 'MD5', 'auth', '89eb0059246c02b2f6ee02c7961d5ea3'],
      ['3.4 MD5-sess, qop=auth', 'MD5-sess', 'auth', 'e4e4ea61d186d07a92c9e1f6919902e9'],
      ['3.5 MD5, qop=auth-int', 'MD5', 'auth-int', 'bdbeebb2da6adb6bca02599c2239e192'],
      ['3.6 MD5-sess, qop=auth-int', 'MD5-sess', 'auth-int', '91984da2d8663716e91554859c22ca70'],
    ])('§%s', (_name, algorithm, qop, want) => {
      expect(computeDigestResponse({ ...bob, algorithm, qop, body: sdp })).toBe(want);
    });
    test('H(entity-body) of the SDP', () => {
      // printf '<the SDP above>' | md5sum  ->  c1ed018b8ec4a3b170c0921f5b564e48
      expect(digestHash('MD5', sdp)).toBe('c1ed018b8ec4a3b170c0921f5b564e48');
    });
  });
});

describe('SIP REGISTER vectors computed independently with coreutils / openssl', () => {
  const base = { username: 'alice', realm: 'example.com', password: 'secret', method: 'REGISTER', uri: 'sip:example.com', nonce: '5e9d3a7c1b2f4e60' };

  test('MD5, no qop', () => {
    // HA1=$(printf 'alice:example.com:secret' | md5sum)         -> b1726872c344b6dc8365b774f8fd6412
    // HA2=$(printf 'REGISTER:sip:example.com' | md5sum)         -> 0264b00abe5b31d87fb22979689b883f
    // printf "$HA1:5e9d3a7c1b2f4e60:$HA2" | md5sum              -> e912823931acdbd46db808f5f3f8b1b5
    expect(computeHA1(base)).toBe('b1726872c344b6dc8365b774f8fd6412');
    expect(computeHA2(base)).toBe('0264b00abe5b31d87fb22979689b883f');
    expect(computeDigestResponse({ ...base, algorithm: 'MD5' })).toBe('e912823931acdbd46db808f5f3f8b1b5');
  });

  test('SHA-256, qop=auth', () => {
    // S1=$(printf 'alice:example.com:secret' | sha256sum)      -> ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fdee
    // printf "$S1:5e9d3a7c1b2f4e60:00000001:0a4f113b:auth:$S2" | sha256sum
    expect(computeHA1({ ...base, algorithm: 'SHA-256' })).toBe('ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fdee');
    expect(computeDigestResponse({ ...base, algorithm: 'SHA-256', qop: 'auth', cnonce: '0a4f113b', nc: 1 })).toBe(
      '0acabfe05645802686e44985e53d89ded2070690972270a1558ebc0b0dcc8bfc',
    );
  });

  test('SHA-512-256 is the FIPS 180-4 function, not a truncated SHA-512', () => {
    // T1=$(printf 'alice:example.com:secret' | openssl dgst -sha512-256 -r)   -> 9e413627…c29e97ad
    // printf 'alice:example.com:secret' | sha512sum | cut -c1-64             -> b5c21b4c…f3b20ba1 (wrong)
    const ha1 = computeHA1({ ...base, algorithm: 'SHA-512-256' });
    expect(ha1).toBe('9e413627514b03d0753229d450617d94a9b2a2a635222e49bad90404c29e97ad');
    expect(ha1).not.toBe(createHash('sha512').update('alice:example.com:secret').digest('hex').slice(0, 64));
    expect(computeHA2({ ...base, algorithm: 'SHA-512-256' })).toBe('598f636cde55d9ae904eee31b4ab3737bfadecafc0eba36339e0dbd748956e21');
    // printf "$T1:5e9d3a7c1b2f4e60:00000001:0a4f113b:auth:$T2" | openssl dgst -sha512-256 -r
    expect(computeDigestResponse({ ...base, algorithm: 'SHA-512-256', qop: 'auth', cnonce: '0a4f113b', nc: 1 })).toBe(
      '0fb4d709e5f06f3c3471ba51042c42157d717f5ca027000f93fdbc4fb2c66f0b',
    );
  });

  test('SHA-512-256-sess, qop=auth, nc=2', () => {
    // T1S=$(printf "$T1:5e9d3a7c1b2f4e60:0a4f113b" | openssl dgst -sha512-256 -r)  -> b00235fc…f68458ef
    // printf "$T1S:5e9d3a7c1b2f4e60:00000002:0a4f113b:auth:$T2" | openssl dgst -sha512-256 -r
    const input = { ...base, algorithm: 'SHA-512-256-sess', qop: 'auth', cnonce: '0a4f113b', nc: 2 };
    expect(computeHA1(input)).toBe('b00235fc7c7a2d36cc63d3ae8ef1ee4ccc61b9ef505ad64144e09beaf68458ef');
    expect(computeDigestResponse(input)).toBe('14b510c36400e0a1319d315b94cae1503d3437c6ad6aad94eeba9b0fda159405');
  });
});

describe('credentials from real captures (test/vectors/pcaps)', () => {
  test('register-401-tcp-to-udp-proxy-sll.pcap frames 33/34: 1001/1001, uri kept when the proxy rewrites the R-URI', () => {
    const ch = parseChallenge('Digest algorithm=MD5, realm="user", nonce="113e25a8"');
    expect(ch.diagnostics).toEqual([]);
    const wire = 'Digest username="1001", realm="user", nonce="113e25a8", uri="sip:172.168.0.228;transport=tcp", response="a4c93aef72747c3ee8b7b801d07b995a", algorithm=MD5';
    const c = parseCredentials(wire);
    expect(c.diagnostics).toEqual([]);
    expect(verifyCredentials(c, { password: '1001', method: 'REGISTER', realm: ch.realm, nonce: ch.nonce })).toBe(true);
    expect(verifyCredentials(c, { password: '1002', method: 'REGISTER' })).toBe(false);
    // A2 uses the method of the request, so the same credentials do not pass for another method.
    expect(checkCredentials(c, { password: '1001', method: 'INVITE' }).reason).toBe('response does not match');
  });

  test('register-401-invite-403-rawip.pcap frame 5: a scanner guessing 1154/123456 sent correct credentials', () => {
    const wire = 'Digest username="1154",realm="157.161.10.73",nonce="ab1XJmm9VfqJWXWUxRAskN6H0saIwGH/",uri="sip:157.161.10.73:5060",response="60069c764334e8abda35a107ee81a267",algorithm=MD5';
    expect(verifyCredentials(wire, { password: '123456', method: 'REGISTER', username: '1154' })).toBe(true);
    expect(checkCredentials(wire, { password: '123456', method: 'REGISTER', username: '1155' }).reason).toMatch(/username/);
  });

  test('register-401-digest-udp.pcapng: the Huawei challenge and its answer', () => {
    const ch = parseChallenge('Digest realm="Huawei",nonce="18c8db501108b585bab3243e2a09509d",domain="sip:Huawei.com",stale=false,algorithm=MD5');
    expect(ch).toMatchObject({
      scheme: 'Digest',
      isDigest: true,
      realm: 'Huawei',
      nonce: '18c8db501108b585bab3243e2a09509d',
      domain: ['sip:Huawei.com'],
      stale: false,
      algorithm: 'MD5',
      qop: [],
      diagnostics: [],
    });
    expect(ch.opaque).toBeUndefined();
    const c = parseCredentials('Digest username="26841945",realm="Huawei",nonce="18c8db501108b585bab3243e2a09509d",uri="sip:10.192.60.4",response="fd2e15a49fa9d6ee2904ea590d4f66f4",algorithm=MD5');
    expect(c).toMatchObject({ username: '26841945', realm: 'Huawei', uri: 'sip:10.192.60.4', response: 'fd2e15a49fa9d6ee2904ea590d4f66f4', diagnostics: [] });
    expect(c.qop).toBeUndefined();
  });

  test('aaa-register-auth-invite-cancel-udp.pcap: X-Lite quotes nc and sends it without qop', () => {
    const c = parseCredentials(
      'Digest username="voi18062",realm="sip.cybercity.dk",uri="sip:192.168.1.2",nonce="1701b16a2a09bc3847cfd2015612fe2",opaque="1701a1351f70795",nc="00000001",response="29cd776112a709cb9cbe978baff5e478"',
    );
    expect(c.nc).toBe('00000001');
    expect(c.opaque).toBe('1701a1351f70795');
    expect(codes(c.diagnostics)).toEqual(['digest-quoted-param', 'digest-param-without-qop']);
    expect(c.diagnostics[0].rule).toBe('RFC 3261 §25.1 (nonce-count)');
  });

  test('ims-volte-…-gtpu-sll.pcap: AKAv1-MD5 challenge and the empty initial-REGISTER credentials', () => {
    const ch = parseChallenge(
      'Digest realm="310410010001002@ims.mnc410.mcc310.3gppnetwork.org", nonce="PUKFeHLm/11FH3TWcJQkNO4fvEgFDZAB9hGpnv8tWi8=", algorithm=AKAv1-MD5',
    );
    expect(ch.diagnostics).toEqual([]);
    expect(isSupportedAlgorithm(ch.algorithm)).toBe(false);
    expect(digestHexLength(ch.algorithm)).toBe(32);
    expect(() => buildAuthorization(ch, { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:x' })).toThrow(/unsupported/);
    const c = parseCredentials(
      'Digest nonce="",uri="sip:310410010001002@ims.mnc410.mcc310.3gppnetwork.org",realm="310410010001002@ims.mnc410.mcc310.3gppnetwork.org",username="263734@imstest.lan",response=""',
    );
    expect(codes(c.diagnostics)).toEqual(['digest-bad-length']);
    expect(c.nonce).toBe('');
  });
});

describe('parsing', () => {
  test('RFC 4475 regaut01: an unknown scheme is data, not an error', () => {
    const c = parseCredentials('NoOneKnowsThisScheme opaque-data=here');
    expect(c.scheme).toBe('NoOneKnowsThisScheme');
    expect(c.isDigest).toBe(false);
    expect(c.diagnostics).toEqual([]);
    expect([...c.params.entries()]).toEqual([['opaque-data', expect.objectContaining({ value: 'here', quoted: false })]]);
    expect(verifyCredentials(c, { password: 'x', method: 'REGISTER' })).toBe(false);
    expect(formatCredentials({ scheme: c.scheme, params: c.params })).toBe('NoOneKnowsThisScheme opaque-data=here');
    const ch = parseChallenge('NoOneKnowsThisScheme opaque-data=here');
    expect(ch.diagnostics).toEqual([]);
    expect(formatChallenge(ch)).toBe('NoOneKnowsThisScheme opaque-data=here');
  });

  test('scheme and parameter names are case-insensitive', () => {
    const ch = parseChallenge('DIGEST REALM="r", Nonce="n", QOP="auth"');
    expect(ch).toMatchObject({ isDigest: true, realm: 'r', nonce: 'n', qop: ['auth'], diagnostics: [] });
    expect(ch.params.get('realm')?.name).toBe('REALM');
  });

  test('commas, backslash quoted-pairs and escaped quotes inside quoted values', () => {
    const ch = parseChallenge('Digest realm="a, \\"b\\", c\\\\d", nonce="x,y", opaque="\\q"');
    expect(ch.diagnostics).toEqual([]);
    expect(ch.realm).toBe('a, "b", c\\d');
    expect(ch.nonce).toBe('x,y');
    expect(ch.opaque).toBe('q');
    expect(ch.params.size).toBe(3);
  });

  test('whitespace around "=" and ",", and a fold inside a quoted value', () => {
    const ch = parseChallenge('  Digest   realm = "two\r\n words" ,\tnonce=\r\n "n"  ');
    expect(ch.diagnostics).toEqual([]);
    expect(ch.realm).toBe('two words');
    expect(ch.nonce).toBe('n');
  });

  test('Basic with token68 parses, flagged because SIP only has auth-param lists', () => {
    const c = parseCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(c.scheme).toBe('Basic');
    expect(c.token68).toBe('QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(codes(c.diagnostics)).toEqual(['auth-token68']);
    const b = parseChallenge('Basic realm="WallyWorld"');
    expect(b).toMatchObject({ isDigest: false, realm: 'WallyWorld', diagnostics: [] });
  });

  test('two comma-joined challenges: flagged, and parseChallenges splits them', () => {
    const v = 'Digest realm="a", nonce="1", algorithm=SHA-256, Digest realm="a", nonce="2", algorithm=MD5';
    const first = parseChallenge(v);
    expect(codes(first.diagnostics)).toEqual(['auth-multiple-values']);
    expect(first.nonce).toBe('1');
    const all = parseChallenges(v);
    expect(all.map((c) => [c.algorithm, c.nonce])).toEqual([['SHA-256', '1'], ['MD5', '2']]);
    expect(all[1].diagnostics).toEqual([]);
  });

  test('stale, userhash, charset, domain lists and username*', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n", stale=TRUE, userhash=true, charset=UTF-8, domain="sip:a.example sip:b.example"');
    expect(ch).toMatchObject({ stale: true, userhash: true, charset: 'UTF-8', domain: ['sip:a.example', 'sip:b.example'], diagnostics: [] });
    const c = parseCredentials(
      "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"00112233445566778899aabbccddeeff\"",
    );
    expect(c.diagnostics).toEqual([]);
    expect(c.username).toBe('J\u00e4s\u00f8n Doe');
  });
});

describe('diagnostics for malformed values', () => {
  const cases: Array<[string, string, string, (v: string) => { diagnostics: AuthDiagnostic[] }]> = [
    ['unterminated quoted string', 'Digest realm="abc, nonce=n', 'auth-unterminated-quote', parseChallenge],
    ['quote closed by the next value', 'Digest realm="abc, nonce="n"', 'auth-unterminated-quote', parseChallenge],
    ['missing "="', 'Digest realm="r", nonce "n"', 'auth-missing-equals', parseChallenge],
    ['duplicate parameter', 'Digest realm="r", nonce="n", Realm="s"', 'auth-duplicate-param', parseChallenge],
    ['missing realm', 'Digest nonce="n"', 'digest-missing-param', parseChallenge],
    ['missing nonce', 'Digest realm="r", algorithm=MD5', 'digest-missing-param', parseChallenge],
    ['stale not true/false', 'Digest realm="r", nonce="n", stale=maybe', 'digest-bad-boolean', parseChallenge],
    ['unquoted realm', 'Digest realm=r, nonce="n"', 'digest-unquoted-param', parseChallenge],
    ['quoted algorithm', 'Digest realm="r", nonce="n", algorithm="MD5"', 'digest-quoted-param', parseChallenge],
    ['unquoted qop-options', 'Digest realm="r", nonce="n", qop=auth', 'digest-unquoted-param', parseChallenge],
    ['charset other than UTF-8', 'Digest realm="r", nonce="n", charset=latin1', 'digest-bad-charset', parseChallenge],
    ['empty list element', 'Digest realm="r",, nonce="n"', 'auth-empty-element', parseChallenge],
    ['trailing comma', 'Digest realm="r", nonce="n",', 'auth-trailing-comma', parseChallenge],
    ['scheme only', 'Digest', 'auth-no-params', parseChallenge],
    ['empty value', '   ', 'auth-empty', parseChallenge],
    ['no scheme', 'realm="r", nonce="n"', 'auth-bad-scheme', parseChallenge],
    ['value neither token nor quoted', 'Digest realm="r", nonce="n", opaque=a@b', 'auth-bad-value', parseChallenge],
    ['junk after a quoted value', 'Digest realm="r"x, nonce="n"', 'auth-junk-after-value', parseChallenge],
    ['a parameter without a value', 'Digest realm, nonce="n"', 'auth-missing-equals', parseChallenge],
    ['bare line break', 'Digest realm="r",\r\nnonce="n"', 'auth-bare-line-break', parseChallenge],
    ['control character in a quoted string', 'Digest realm="r\u0001", nonce="n"', 'auth-ctl-in-quoted', parseChallenge],
  ];
  test.each(cases)('%s', (_name, value, code, parse) => {
    expect(codes(parse(value).diagnostics)).toContain(code);
  });

  const cred = (over: string) =>
    `Digest username="u", realm="r", nonce="n", uri="sip:r", response="00112233445566778899aabbccddeeff"${over}`;
  const credCases: Array<[string, string, string]> = [
    ['nc of 7 digits', cred(', qop=auth, cnonce="c", nc=0000001'), 'digest-bad-nc'],
    ['nc not hex', cred(', qop=auth, cnonce="c", nc=0000000g'), 'digest-bad-nc'],
    ['nc upper-case', cred(', qop=auth, cnonce="c", nc=0000000A'), 'digest-uppercase-hex'],
    ['qop without cnonce', cred(', qop=auth, nc=00000001'), 'digest-missing-param'],
    ['quoted qop', cred(', qop="auth", cnonce="c", nc=00000001'), 'digest-quoted-param'],
    ['SHA-256 response of MD5 length', cred(', algorithm=SHA-256'), 'digest-bad-length'],
    ['MD5-sess without cnonce', cred(', algorithm=MD5-sess'), 'digest-missing-param'],
    ['unquoted uri', 'Digest username="u", realm="r", nonce="n", uri=sip:r, response="00112233445566778899aabbccddeeff"', 'auth-bad-value'],
    ['missing response', 'Digest username="u", realm="r", nonce="n", uri="sip:r"', 'digest-missing-param'],
    ['response not hex', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="zz112233445566778899aabbccddeeff"', 'digest-not-hex'],
    ['response upper-case', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00112233445566778899AABBCCDDEEFF"', 'digest-uppercase-hex'],
    ['username and username*', cred(", username*=UTF-8''u"), 'digest-username-conflict'],
  ];
  test.each(credCases)('credentials: %s', (_name, value, code) => {
    expect(codes(parseCredentials(value).diagnostics)).toContain(code);
  });

  test('a forgotten comma is reported and the next parameter still parsed', () => {
    const ch = parseChallenge('Digest realm="r" nonce="n" algorithm=MD5 qop="auth"');
    expect(codes(ch.diagnostics)).toEqual(['auth-missing-comma', 'auth-missing-comma', 'auth-missing-comma']);
    expect(ch).toMatchObject({ realm: 'r', nonce: 'n', algorithm: 'MD5', qop: ['auth'] });
  });

  test('offsets point into the value, shifted by base', () => {
    const v = 'Digest realm="r", nonce="n", Realm="s"';
    const [d] = parseChallenge(v, 100).diagnostics;
    expect(d).toMatchObject({ code: 'auth-duplicate-param', severity: 'error', offset: 100 + v.indexOf('Realm'), length: 5 });
    expect(d.rule).toMatch(/RFC/);
    const [u] = parseChallenge('Digest realm="abc, nonce=n').diagnostics;
    expect(u).toMatchObject({ code: 'auth-unterminated-quote', offset: 'Digest realm='.length });
  });

  test('correct SHA-256 length passes; unknown algorithms skip the length check', () => {
    const r64 = 'a'.repeat(64);
    expect(parseCredentials(`Digest username="u", realm="r", nonce="n", uri="sip:r", response="${r64}", algorithm=SHA-512-256`).diagnostics).toEqual([]);
    expect(parseCredentials(`Digest username="u", realm="r", nonce="n", uri="sip:r", response="abc", algorithm=X-Future`).diagnostics).toEqual([]);
  });
});

describe('formatting', () => {
  test('conventional quoting', () => {
    expect(
      formatChallenge({ realm: 'atlanta.com', nonce: 'ea9c8e88df84f1cec4341ae6cbe5a359', opaque: '', stale: false, algorithm: 'MD5', qop: ['auth', 'auth-int'] }),
    ).toBe('Digest realm="atlanta.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=false, algorithm=MD5, qop="auth,auth-int"');
    expect(
      formatCredentials({ username: 'bob', realm: 'biloxi.com', nonce: 'n', uri: 'sip:bob@biloxi.com', response: 'r', algorithm: 'MD5', cnonce: 'c', opaque: 'o', qop: 'auth', nc: 10 }),
    ).toBe('Digest username="bob", realm="biloxi.com", nonce="n", uri="sip:bob@biloxi.com", response="r", algorithm=MD5, cnonce="c", opaque="o", qop=auth, nc=0000000a');
    expect(formatChallenge({ realm: 'say "hi" \\ bye', nonce: 'n' })).toBe('Digest realm="say \\"hi\\" \\\\ bye", nonce="n"');
  });

  test('round trip keeps every field and unknown parameters', () => {
    const v = 'Digest realm="a, \\"b\\"", domain="sip:x sip:y", nonce="n,1", opaque="o", stale=true, algorithm=SHA-256-sess, qop="auth,auth-int", charset=UTF-8, userhash=false, x-ext="1 2", y-ext=tok';
    const ch = parseChallenge(v);
    expect(ch.diagnostics).toEqual([]);
    const out = formatChallenge(ch);
    expect(out).toBe(v);
    const again = parseChallenge(out);
    const { params: _a, diagnostics: _b, ...f1 } = ch;
    const { params: _c, diagnostics: _d, ...f2 } = again;
    expect(f2).toEqual(f1);

    const cv = 'Digest username="u", realm="r", nonce="n", uri="sip:u@r;transport=tcp", response="00112233445566778899aabbccddeeff", algorithm=MD5, cnonce="c,c", opaque="o", qop=auth, nc=000000ff, x-ext="1"';
    const c = parseCredentials(cv);
    expect(c.diagnostics).toEqual([]);
    expect(formatCredentials(c)).toBe(cv);
  });

  test('fields left undefined keep their wire form from params', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n", stale=maybe');
    expect(ch.stale).toBeUndefined();
    expect(formatChallenge(ch)).toBe('Digest realm="r", nonce="n", stale=maybe');
  });
});

describe('buildAuthorization and verifyCredentials', () => {
  const algorithms: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'];
  const body = Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n');

  test.each(algorithms.flatMap((a) => [[a, undefined], [a, 'auth'], [a, 'auth-int']] as Array<[DigestAlgorithm, string | undefined]>))(
    '%s with qop %s verifies, and fails for a wrong password / body',
    (algorithm, qop) => {
      const challenge = formatChallenge({ realm: 'example.com', nonce: 'abc123', opaque: 'xyz', algorithm, qop: qop ? [qop] : undefined });
      const value = buildAuthorization(challenge, { username: 'alice', password: 'secret', method: 'INVITE', uri: 'sip:bob@example.com', body, nc: 3 });
      const c = parseCredentials(value);
      expect(c.diagnostics).toEqual([]);
      expect(c.algorithm).toBe(algorithm);
      expect(c.opaque).toBe('xyz');
      expect(c.qop).toBe(qop);
      expect(c.nc).toBe(qop ? '00000003' : undefined);
      expect(c.response).toHaveLength(digestHexLength(algorithm)!);
      expect(verifyCredentials(c, { password: 'secret', method: 'INVITE', body })).toBe(true);
      expect(verifyCredentials(c, { password: 'Secret', method: 'INVITE', body })).toBe(false);
      expect(verifyCredentials(c, { password: 'secret', method: 'INVITE', body: Buffer.from('other') })).toBe(qop !== 'auth-int');
    },
  );

  test('prefers auth, honours an explicit choice, and omits algorithm when the challenge did', () => {
    const ch = 'Digest realm="r", nonce="n", qop="auth-int,auth"';
    expect(parseCredentials(buildAuthorization(ch, { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r', cnonce: 'c' })).qop).toBe('auth');
    const v = buildAuthorization(ch, { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r', cnonce: 'c', qop: 'auth-int' });
    expect(parseCredentials(v).qop).toBe('auth-int');
    expect(parseCredentials(v).algorithm).toBeUndefined();
    const plain = buildAuthorization('Digest realm="r", nonce="n"', { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r' });
    expect(plain).toBe(`Digest username="u", realm="r", nonce="n", uri="sip:r", response="${computeDigestResponse({ username: 'u', realm: 'r', password: 'p', method: 'REGISTER', uri: 'sip:r', nonce: 'n' })}"`);
  });

  test('random cnonce by default, and only when needed', () => {
    const a = parseCredentials(buildAuthorization('Digest realm="r", nonce="n", qop="auth"', { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r' }));
    const b = parseCredentials(buildAuthorization('Digest realm="r", nonce="n", qop="auth"', { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r' }));
    expect(a.cnonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a.cnonce).not.toBe(b.cnonce);
    expect(verifyCredentials(a, { password: 'p', method: 'REGISTER' })).toBe(true);
  });

  test('userhash: the username parameter is H(user:realm), the response uses the real name', () => {
    const ch = 'Digest realm="api@example.org", nonce="n", qop="auth", algorithm=SHA-512-256, userhash=true';
    const v = buildAuthorization(ch, { username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?', method: 'REGISTER', uri: 'sip:api.example.org', cnonce: 'c' });
    const c = parseCredentials(v);
    expect(c.userhash).toBe(true);
    expect(c.username).toBe(computeUserhash('SHA-512-256', 'J\u00e4s\u00f8n Doe', 'api@example.org'));
    expect(c.username).toBe(createHash('sha512-256').update('J\u00e4s\u00f8n Doe:api@example.org', 'utf8').digest('hex'));
    expect(checkCredentials(c, { password: 'Secret, or not?', method: 'REGISTER' }).reason).toMatch(/real username/);
    expect(verifyCredentials(c, { password: 'Secret, or not?', method: 'REGISTER', username: 'J\u00e4s\u00f8n Doe' })).toBe(true);
    expect(verifyCredentials(c, { password: 'Secret, or not?', method: 'REGISTER', username: 'Jason Doe' })).toBe(false);
  });

  test('verification checks the challenged realm and nonce, and rejects what it cannot compute', () => {
    const v = buildAuthorization('Digest realm="r", nonce="n1"', { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r' });
    expect(checkCredentials(v, { password: 'p', method: 'REGISTER', nonce: 'n2' }).reason).toMatch(/nonce/);
    expect(checkCredentials(v, { password: 'p', method: 'REGISTER', realm: 'other' }).reason).toMatch(/realm/);
    expect(checkCredentials(v.replace('Digest', 'Digest algorithm=AKAv1-MD5,'), { password: 'p', method: 'REGISTER' }).reason).toMatch(/unsupported/);
    expect(checkCredentials('Digest username="u"', { password: 'p', method: 'REGISTER' }).reason).toMatch(/lack/);
  });

  test('challenges that cannot be answered throw, with a reason', () => {
    const o = { username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:r' };
    expect(() => buildAuthorization('Basic realm="r"', o)).toThrow(/Basic/);
    expect(() => buildAuthorization('Digest realm="r", nonce="n", qop="auth-conf"', o)).toThrow(/qop/);
  });

  test('algorithm names', () => {
    expect(normalizeAlgorithm(undefined)).toBe('MD5');
    expect(normalizeAlgorithm('md5-SESS')).toBe('MD5-sess');
    expect(normalizeAlgorithm('sha-512-256')).toBe('SHA-512-256');
    expect(normalizeAlgorithm('SHA-512')).toBeUndefined();
    expect(() => computeDigestResponse({ algorithm: 'SHA-1', username: 'u', realm: 'r', password: 'p', method: 'M', uri: 'u', nonce: 'n' })).toThrow(RangeError);
    expect(() => computeDigestResponse({ username: 'u', realm: 'r', password: 'p', method: 'M', uri: 'u', nonce: 'n', qop: 'auth' })).toThrow(/cnonce/);
  });
});

describe('robustness', () => {
  // Deterministic PRNG so a failure reproduces.
  function rng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }
  const palette = ['"', '\\', ',', '=', ' ', '\t', '\r', '\n', '\r\n ', 'a', '0', '\u0000', '\u00e9', '\u{1F600}', '*', ';', 'Digest ', 'realm=', '"x"'];
  function mutate(s: string, r: () => number): string {
    const k = 1 + Math.floor(r() * 4);
    for (let m = 0; m < k; m++) {
      const at = Math.floor(r() * (s.length + 1));
      switch (Math.floor(r() * 5)) {
        case 0: s = s.slice(0, at) + s.slice(at + 1); break;
        case 1: s = s.slice(0, at) + palette[Math.floor(r() * palette.length)] + s.slice(at); break;
        case 2: s = s.slice(0, at); break;
        case 3: { const len = Math.floor(r() * 12); s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); break; }
        default: { const j = Math.floor(r() * s.length); const a = [...s]; [a[at], a[j]] = [a[j], a[at]]; s = a.join(''); }
      }
    }
    return s;
  }
  const seeds = [
    'Digest realm="Huawei",nonce="18c8db501108b585bab3243e2a09509d",domain="sip:Huawei.com",stale=false,algorithm=MD5',
    'Digest realm="a, \\"b\\"", nonce="n", qop="auth,auth-int", algorithm=SHA-256, opaque="o", userhash=true',
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    'NoOneKnowsThisScheme opaque-data=here',
  ];

  test('hundreds of random mutations never throw and keep offsets inside the value', () => {
    const r = rng(0x5eed);
    let withDiagnostics = 0;
    for (let i = 0; i < 600; i++) {
      const v = mutate(seeds[i % seeds.length], r);
      const ch = parseChallenge(v);
      const cr = parseCredentials(v);
      for (const p of [ch, cr, ...parseChallenges(v)]) {
        for (const d of p.diagnostics) {
          expect(d.offset).toBeGreaterThanOrEqual(0);
          expect(d.offset).toBeLessThanOrEqual(v.length);
          expect(typeof d.message).toBe('string');
          expect(d.rule).toMatch(/RFC/);
        }
      }
      if (ch.diagnostics.length > 0) withDiagnostics++;
      expect(() => parseChallenge(formatChallenge(ch))).not.toThrow();
      expect(() => parseCredentials(formatCredentials(cr))).not.toThrow();
      expect(typeof verifyCredentials(cr, { password: 'p', method: 'REGISTER' })).toBe('boolean');
      expect(() => parseAuthParamList(v, 7)).not.toThrow();
    }
    // The mutations must actually exercise the error paths.
    expect(withDiagnostics).toBeGreaterThan(200);
  });

  test('pathological inputs', () => {
    for (const v of ['', '"', '\\', ',', '=', 'Digest "', 'Digest ="', 'Digest a="\\', 'Digest ,,,,', 'Digest a=b=c', '\r\n', 'Digest a="x"="y"', 'x'.repeat(100000)]) {
      expect(() => parseChallenge(v)).not.toThrow();
      expect(() => parseCredentials(v)).not.toThrow();
      expect(() => parseChallenges(v)).not.toThrow();
    }
  });
});
