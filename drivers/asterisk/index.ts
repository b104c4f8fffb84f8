export { Asterisk, StartedAsterisk, ASTERISK_INSTALL_HINT, type AsteriskTls } from './driver.js';
export { makeTlsMaterial, TLS_FILES, type TlsMaterial } from '../../src/runtime/tls-material.js';
export { renderAsteriskConfig, accountDigests, READY_LINE, DIALPLAN_CONTEXT, PARKING_SPACES, parkingSpaces, MODULES, MOH_FILE, mohTone, CONTAINER_PATHS, SECRET_FILES, type AsteriskPaths } from './config.js';
export { parseContacts, parseChannelsConcise, parseRegistrarDb, mergeRegistrarRecords, type AsteriskContact, type AsteriskChannel, type RegistrarRecord } from './cli.js';
export * from './options.js';
