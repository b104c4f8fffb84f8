export { Kamailio, StartedKamailio, KAMAILIO_INSTALL_HINT } from './driver.js';
export { renderKamailioConfig, READY_LINE } from './config.js';
export { parseUlDump, type LocationBinding } from './kamcmd.js';
export * from './options.js';
