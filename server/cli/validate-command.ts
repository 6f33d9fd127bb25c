import { validateFlow } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { formatErrors, parseFlowFile } from './parse-flow-file.js';

export function validateCommand(file: string, text: string, out: NodeJS.WritableStream): number {
  const parsed = parseFlowFile(text);
  if (!parsed.ok) {
    out.write(formatErrors(file, [parsed.error]));
    return 1;
  }
  const result = validateFlow(parsed.doc, createRegistry());
  if (!result.ok) {
    out.write(formatErrors(file, result.errors));
    out.write(`${result.errors.length} error(s)\n`);
    return 1;
  }
  out.write(`${file}: valid (${result.flow.nodes.length} nodes, ${result.flow.edges.length} edges)\n`);
  return 0;
}
