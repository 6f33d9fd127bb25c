// docs/nodes.md is generated from the node types: it must equal what `npm run docs:nodes` writes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { nodeReferenceMarkdown } from '../../server/docs/node-reference.js';
import { coreNodes } from '../../nodes/registry.js';

describe('docs: node reference', () => {
  const markdown = nodeReferenceMarkdown();

  it('docs/nodes.md is current (run `npm run docs:nodes`)', () => {
    expect(readFileSync(new URL('../../docs/nodes.md', import.meta.url), 'utf8'), 'run `npm run docs:nodes`').to.equal(markdown);
  });

  it('documents every node type with both labels and every param', () => {
    for (const t of coreNodes) {
      expect(markdown).to.include(`### \`${t.type}\` — ${t.label.en} · ${t.label.ar}`);
      for (const name of Object.keys((t.params as { properties?: object }).properties ?? {})) expect(markdown).to.include(`| \`${name}\` |`);
    }
  });
});
