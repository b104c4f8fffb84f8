export { Kamailio, StartedKamailio, KAMAILIO_INSTALL_HINT, stopDetached, type DetachedKamailio } from './driver.js';
export { kamcmd } from './kamcmd.js';
export { renderKamailioConfig, applyRouteOverrides, READY_LINE } from './config.js';
export { parseUlDump, type LocationBinding } from './kamcmd.js';
export * from './options.js';
export { KAMAILIO_BLOCKS, KAMAILIO_DEFECTS, KAMAILIO_DEFECT_NAMES, isKamailioDefect, kamailioDefect, type KamailioBlock, type KamailioDefect, type KamailioDefectSpec, type RemovedLines } from './defects.js';
