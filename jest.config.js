// Native ESM jest: sources use NodeNext-style ".js" import suffixes, which the mapper strips for ts files.
// Two projects: `unit` (pure code, seconds, nothing started) and `integration` (real Kamailio, Asterisk, SIPp,
// tcpdump, tshark, Chromium, child sipwright runs). `npm test` runs both; `npm run test:unit` or
// `npm run test:integration` (jest --selectProjects) runs one.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** Test files that start endpoints, captures or other programs. */
const INTEGRATION = [
  '<rootDir>/test/suites/',
  '<rootDir>/test/drivers/',
  '<rootDir>/test/runtime/',
  '<rootDir>/test/ua-live/',
  '<rootDir>/test/bench/',
  '<rootDir>/test/lab/background.test.ts',
  '<rootDir>/test/lab/worker-targets.test.ts',
  '<rootDir>/test/lab/remote-target.test.ts',
  '<rootDir>/test/report/report-run.test.ts',
  '<rootDir>/test/capture/live.test.ts',
  '<rootDir>/test/capture/tshark-parity.test.ts',
  '<rootDir>/test/cli/',
  '<rootDir>/test/grade/grade.test.ts',
];

export default {
  testTimeout: 30000,
  // The integration files wait on SIP timers and child runs, not on the CPU (a full run used 4 CPU-minutes in
  // 14 wall-minutes on 2 cores), so two files at once, whatever jest would pick from the core count. Three
  // was faster (5 min 20 s) until the whole lab ran twice at once (embedded and embedded-tcp, 3 workers each):
  // tcpdump then dropped packets and a jest worker missed its exit deadline.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION] },
    { ...common, displayName: 'integration', testMatch: INTEGRATION.map((p) => (p.endsWith('/') ? `${p}**/*.test.ts` : p)) },
  ],
};
