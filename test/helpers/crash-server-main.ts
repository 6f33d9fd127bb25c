// server/main.ts with the crash node types (crash-nodes.ts) added to the registry: the
// quarantine suite starts it as a child process (startServerProcess(env, 'crash')).
import { coreNodes } from '../../nodes/registry.js';
import type { NodeType } from '../../engine/index.js';
import { crashNodeTypes } from './crash-nodes.js';

(coreNodes as NodeType[]).push(...crashNodeTypes);
await import('../../server/main.js');
