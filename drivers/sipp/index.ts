export { Sipp, StartedSipp, SippError, SIPP_INSTALL_HINT, roleOfXml } from './driver.js';
export { scenario, ScenarioBuilder, type SendOptions, type RecvOptions, type PauseOptions, type NopOptions, type XmlOptions } from './scenario.js';
export { type Action, type EregAction, type Compare } from './actions.js';
export { ScenarioError } from './xml.js';
export { type SippResult, describeResult } from './result.js';
export { type SippStats, type MessageStat } from './stats.js';
export { type SippOutcome, EXIT_MEANINGS, interpretExit } from './exit-codes.js';
export { type SippTransport } from './args.js';
export { isBound, boundSockets, type BoundSocket } from './readiness.js';
