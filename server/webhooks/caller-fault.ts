// Whether a failed webhook execution failed because of what the caller sent (→ 422
// invalid_payload) rather than because of the flow or the server (→ 500 execution_failed).
// The caller's fault: an expression that reads the execution's data (a field of the input,
// `$trigger`, `$nodes`, `$contact`) failed to evaluate, or params computed by such expressions
// broke the node's params schema (`invalid_params`): the codes marked `payloadFault` in
// NODE_FAILURE_CODES. An expression that reads no data
// (`=$number("x")`) fails for every payload: that is the flow author's mistake, a 500.
import { isExpression, nodeFailureInfo, readsData, type Flow, type StepError } from '../../engine/index.js';

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The value at a JSON pointer below `root` (undefined when the path leads nowhere). */
function at(root: unknown, pointer: string): unknown {
  let value = root;
  for (const segment of pointer.split('/').slice(1).map(unescape)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function expressionsIn(value: unknown, out: string[] = []): string[] {
  if (isExpression(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => expressionsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => expressionsIn(v, out));
  return out;
}

export function isCallerFault(flow: Flow, error: StepError | null): boolean {
  if (!error?.node || nodeFailureInfo(error.code)?.payloadFault !== true) return false;
  const node = flow.nodes.find((n) => n.id === error.node);
  if (!node) return false;
  // error.path is "/params/…" (the param whose expression failed, or the first schema error).
  const exact = error.path?.startsWith('/params') ? at({ params: node.params ?? {} }, error.path) : undefined;
  const candidates = exact !== undefined && error.code === 'expression_error' ? expressionsIn(exact) : expressionsIn(node.params ?? {});
  return candidates.some(readsData);
}
