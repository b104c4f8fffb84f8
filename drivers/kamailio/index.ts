export { Kamailio, StartedKamailio, KAMAILIO_INSTALL_HINT, stopDetached, type DetachedKamailio } from './driver.js';
export { kamcmd } from './kamcmd.js';
export { renderKamailioConfig, applyRouteOverrides, READY_LINE } from './config.js';
export { parseUlDump, type LocationBinding } from './kamcmd.js';
export * from './options.js';
