// server/worker.ts with the crash node types (crash-nodes.ts) added to the registry.
import { coreNodes } from '../../nodes/registry.js';
import type { NodeType } from '../../engine/index.js';
import { crashNodeTypes } from './crash-nodes.js';

(coreNodes as NodeType[]).push(...crashNodeTypes);
await import('../../server/worker.js');
