/**
 * The Kamailio dial plan as rendered (drivers/kamailio/config.ts, route[NUMBERS]): one entry per number, an 00
 * number served by its + form's entry, 484 for the start of a number; the routing suite calls a real one.
 */
import { renderKamailioConfig } from '../../../drivers/kamailio/config.js';
import { Kamailio } from '../../../drivers/kamailio/driver.js';

const route = (k: Kamailio) => /route\[NUMBERS\] \{[\s\S]*?^\}/m.exec(renderKamailioConfig(k.options, { ctlSocket: '/run/ctl' }))?.[0] ?? '';

test('each number becomes its user; the 00 form goes through the + form; a number begun is answered 484', () => {
  const r = route(new Kamailio('127.0.0.9').withNumbers({ '100': 'alice', '+4930100': 'alice', '004930100': 'alice', '0049301': 'bob' }));
  expect(r).toContain('if ($rU =~ "^00[1-9]") {\n\t\t$rU = "+" + $(rU{s.substr,2,0});');
  expect(r).toContain('if ($rU == "100") {\n\t\t$rU = "alice";\n\t\treturn;');
  expect(r).toContain('if ($rU == "+4930100") {\n\t\t$rU = "alice";');
  // 004930100 needs no entry of its own; 0049301 does, as its + form reaches someone else (nobody).
  expect(r).not.toContain('"004930100"');
  expect(r).toContain('if ($rU == "0049301") {\n\t\t$rU = "bob";');
  expect(r).toMatch(/if \(\$rU == "\+4" \|\| .*\$rU == "\+493010" \|\| .*\$rU == "1" \|\| \$rU == "10"\) \{\n\t\tsl_send_reply\("484", "Address Incomplete"\);/);
  expect(r).not.toMatch(/\$rU == "\+"\s*(\|\||\))/);
});

test('a number that is not digits is refused by name', () => {
  expect(() => new Kamailio('127.0.0.9').withNumbers({ '1-0': 'alice' })).toThrow('withNumbers: "1-0" is not a number');
});

test('no numbers: the route is there, and only normalises', () => {
  expect(route(new Kamailio('127.0.0.9'))).toBe('route[NUMBERS] {\n\tif ($rU =~ "^00[1-9]") {\n\t\t$rU = "+" + $(rU{s.substr,2,0});\n\t}\n\treturn;\n}');
});
