/**
 * Where a node runs. A driver's options are the same whatever the runtime; `auto` runs natively when the
 * endpoint's binary is installed and in a container from the lab's image otherwise.
 */
import { which } from './native.js';

export type RuntimeKind = 'native' | 'container' | 'auto';

export function resolveRuntime(kind: RuntimeKind, binary: string): 'native' | 'container' {
  if (kind !== 'auto') return kind;
  return which(binary) ? 'native' : 'container';
}
