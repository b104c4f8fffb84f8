export { Baresip, StartedBaresip, BARESIP_INSTALL_HINT, type BaresipCall } from './driver.js';
export { BaresipCtrl, BARESIP_EVENT_TYPES, MAX_COMMAND_BYTES, type BaresipEvent, type BaresipEventType, type ConnectOptions, type WaitOptions } from './ctrl.js';
export { renderBaresipConfig, accountLine, accountAor, checkAccount, READY_LINE, type BaresipPaths } from './config.js';
export { encodeNetstring, NetstringDecoder } from './netstring.js';
export { toneWav, TONE_RATE, TONE_SECONDS } from './tone.js';
export * from './options.js';
