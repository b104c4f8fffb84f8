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
  '<rootDir>/test/report/shards.test.ts',
  '<rootDir>/test/capture/live.test.ts',
  '<rootDir>/test/capture/tshark-parity.test.ts',
  '<rootDir>/test/capture/tls-live.test.ts',
  '<rootDir>/test/cli/',
  '<rootDir>/test/grade/grade.test.ts',
  '<rootDir>/test/examples/compose-lab.test.ts',
];

export default {
  testTimeout: 30000,
  // One file at a time. The integration files wait on SIP timers rather than the CPU, and three at once took
  // CI from 14 to 5 minutes (2026-12-07) until the whole lab, the remote target's suites and the grading of a
  // class ran side by side: then the targets' own timers ran late (a Kamailio BYE retransmitted 1.13 s after
  // the last where T2 is 0.8 s; a relayed 183 copy 0.70 s apart for 0.40 s) and the timing checks, rightly
  // strict, failed. Each file alone is the condition every timing check was measured in.
  maxWorkers: 1,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION] },
    { ...common, displayName: 'integration', testMatch: INTEGRATION.map((p) => (p.endsWith('/') ? `${p}**/*.test.ts` : p)) },
  ],
};
