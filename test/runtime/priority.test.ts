/** The endpoints' command line once a suite worker has yielded the CPU (src/runtime/priority.ts). */
import { getPriority } from 'node:os';
import { atEndpointPriority } from '../../src/runtime/priority.js';

const BASE = 'SIPWRIGHT_ENDPOINT_NICE';

describe('atEndpointPriority', () => {
  const saved = process.env[BASE];
  afterEach(() => {
    if (saved === undefined) delete process.env[BASE];
    else process.env[BASE] = saved;
  });

  test('unchanged where the harness has not yielded', () => {
    delete process.env[BASE];
    expect(atEndpointPriority('/usr/sbin/kamailio', ['-f', 'k.cfg'])).toEqual({ path: '/usr/sbin/kamailio', args: ['-f', 'k.cfg'] });
  });

  test('through nice(1), back to the priority the worker had before it yielded', () => {
    process.env[BASE] = String(getPriority() - 10);
    expect(atEndpointPriority('/usr/bin/sipp', ['-sf', 's.xml'])).toEqual({ path: 'nice', args: ['-n', '-10', '/usr/bin/sipp', '-sf', 's.xml'] });
  });

  test('unchanged when the worker runs at that priority already, or the variable is not a number', () => {
    process.env[BASE] = String(getPriority());
    expect(atEndpointPriority('/usr/bin/tcpdump', [])).toEqual({ path: '/usr/bin/tcpdump', args: [] });
    process.env[BASE] = 'high';
    expect(atEndpointPriority('/usr/bin/tcpdump', [])).toEqual({ path: '/usr/bin/tcpdump', args: [] });
  });
});
