// POST /api/v1/code/test — run a code-step snippet with the same sandbox and limits as a flow
// would ({source, input, trigger, nodes, vars, timeoutMs, memoryMb}); the editor's "test"
// button. A snippet that fails is a 200 with {ok:false, error}; a malformed request is a 400.
import express, { Router } from 'express';
import { runCode, type CodeRunRequest } from '../../nodes/code/index.js';
import { ApiError } from '../api-error.js';

export function codeTestRouter(): Router {
  const router = Router();
  router.post('/', express.json({ limit: '1mb' }), async (req, res) => {
    const body = req.body as Partial<CodeRunRequest> | undefined;
    if (!body || typeof body !== 'object' || typeof body.source !== 'string') {
      throw new ApiError(400, 'invalid_request', 'source is required', [{ path: '/source', code: 'required', message: 'source must be a string' }]);
    }
    const result = await runCode({
      source: body.source,
      input: body.input ?? null,
      trigger: body.trigger ?? body.input ?? null,
      nodes: body.nodes ?? {},
      vars: body.vars ?? {},
      ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
      ...(body.memoryMb !== undefined ? { memoryMb: body.memoryMb } : {}),
    });
    if (!result.ok && result.error.code === 'code_invalid_request') {
      throw new ApiError(400, 'invalid_request', result.error.message);
    }
    res.json(result);
  });
  return router;
}
