// POST /api/v1/code/test — run a code-step snippet with the same sandbox and limits as a flow
// would; the editor's "test" button. A snippet that fails is a 200 with {ok:false, error}; a
// malformed request is a 400.
import { Type } from '@sinclair/typebox';
import { runCode, type CodeRunRequest } from '../../nodes/code/index.js';
import { ApiError } from '../api-error.js';
import { route, type RouteSpec } from '../http/route.js';
import { CodeRunResult } from '../schemas/platform.js';

const CodeTestBody = Type.Object(
  {
    source: Type.String(),
    input: Type.Optional(Type.Unknown()),
    trigger: Type.Optional(Type.Unknown()),
    nodes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    // Upper limits are the sandbox's own (nodes/code/limits.ts); it answers code_invalid_request.
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    memoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export function codeTestRoutes(): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/code/test',
      summary: 'Run a code-step snippet in the sandbox',
      tag: 'nodes',
      access: 'code.test',
      body: CodeTestBody,
      response: CodeRunResult,
      async handler({ body }) {
        const result = await runCode({
          source: body.source,
          input: body.input ?? null,
          trigger: body.trigger ?? body.input ?? null,
          nodes: (body.nodes ?? {}) as CodeRunRequest['nodes'],
          vars: body.vars ?? {},
          ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
          ...(body.memoryMb !== undefined ? { memoryMb: body.memoryMb } : {}),
        });
        if (!result.ok && result.error.code === 'code_invalid_request') throw new ApiError(400, 'invalid_request', result.error.message);
        return result;
      },
    }),
  ];
}
