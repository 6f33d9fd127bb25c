// Port specs shared by several node types.
import type { PortSpec } from '../../engine/index.js';

/** The single output of most nodes. */
export const OUT_PORT: PortSpec = { port: 'out', label: { en: 'Output', ar: 'المخرج' } };
