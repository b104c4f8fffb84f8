/** Moved to src/runtime/tls-material.ts (Kamailio and the lab's parties make certificates too); kept while tests still import it from here. */
export * from '../../src/runtime/tls-material.js';
