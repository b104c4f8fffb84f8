import type { DecodeContext } from './context.js';
import type { Endpoint, Transport } from './types.js';

/** What a stream-level parser needs to know about the direction it is parsing. */
export interface StreamOwner {
  readonly ctx: DecodeContext;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  /** "10.0.0.1:5060 -> 10.0.0.2:5060", for findings. */
  readonly label: string;
  /** What the messages are emitted as; 'tcp' when absent (TLS reuses the same framing). */
  readonly transport?: Transport;
}
