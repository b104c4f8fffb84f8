/** What of SIPp's error trace counts as an error (drivers/sipp/result.ts). */
import { collectErrors } from '../../drivers/sipp/result.js';

const stamp = (text: string) => `2026-12-07\t22:25:10.868584\t1796682310.868584: ${text}`;

test('a recv that timed out into its ontimeout label is the scenario\'s own branch, not an error; an aborted call is', () => {
  const file = [
    'The following events occurred:',
    stamp('Call-Id: sipwright-c7ed6169cd9a-1@127.100.222.11, receive timeout on message call-bob:127, jumping to label 128'),
    stamp("Aborting call on unexpected message for Call-Id 'x': while expecting 'ACK' (index 3), received 'BYE sip:a@b SIP/2.0"),
  ].join('\n');
  expect(collectErrors(file, '')).toEqual(["Aborting call on unexpected message for Call-Id 'x': while expecting 'ACK' (index 3), received 'BYE sip:a@b SIP/2.0"]);
});
