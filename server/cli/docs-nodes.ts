// `npm run docs:nodes`: rewrite docs/nodes.md from the node types (a test keeps them equal).
import { mkdirSync, writeFileSync } from 'node:fs';
import { nodeReferenceMarkdown } from '../docs/node-reference.js';

mkdirSync(new URL('../../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../docs/nodes.md', import.meta.url), nodeReferenceMarkdown());
