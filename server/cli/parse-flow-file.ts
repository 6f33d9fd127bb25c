import type { FlowError } from '../../engine/index.js';

/** JSON.parse with the failure as a FlowError (path "" and the position in the message). */
export function parseFlowFile(text: string): { ok: true; doc: unknown } | { ok: false; error: FlowError } {
  try {
    return { ok: true, doc: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: { path: '', code: 'invalid_json', message: (err as Error).message } };
  }
}

export function formatErrors(file: string, errors: FlowError[]): string {
  return errors.map((e) => `${file}: ${e.path || '/'}: ${e.code}: ${e.message}`).join('\n') + '\n';
}
