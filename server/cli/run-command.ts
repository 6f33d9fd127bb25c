// Runs a flow to the end on a throwaway SQLite store (delays wait in real time) and prints
// the execution: status, each step's node/port/output, and the final output.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRuntime, FlowInvalidError, validateFlow } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, openDatabase } from '../../db/index.js';
import { formatErrors, parseFlowFile } from './parse-flow-file.js';

export interface RunOptions {
  input: string | undefined;
  trigger: string | undefined;
  allowPrivateNetwork: boolean;
}

export async function runCommand(file: string, text: string, options: RunOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const parsed = parseFlowFile(text);
  if (!parsed.ok) {
    err.write(formatErrors(file, [parsed.error]));
    return 1;
  }
  let input: unknown = {};
  if (options.input !== undefined) {
    try {
      input = JSON.parse(options.input);
    } catch (e) {
      err.write(`--input is not valid JSON: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const registry = createRegistry();
  const checked = validateFlow(parsed.doc, registry);
  if (!checked.ok) {
    err.write(formatErrors(file, checked.errors));
    return 1;
  }
  const flow = checked.flow;
  const trigger = options.trigger
    ? flow.nodes.find((n) => n.id === options.trigger && registry.get(n.type)?.trigger)
    : flow.nodes.find((n) => registry.get(n.type)?.trigger);
  if (!trigger) {
    err.write(`no trigger node ${options.trigger ? `"${options.trigger}"` : ''} in ${file}\n`);
    return 1;
  }

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-run-'));
  const db = await openDatabase({ dataDir });
  const runtime = new EmbeddedRuntime({
    store: new SqlRunStore(db.sql),
    registry,
    pollIntervalMs: 1000,
    tenantPolicy: () => ({ allowPrivateNetwork: options.allowPrivateNetwork }),
  });
  try {
    const tenant = await new TenantRepository(db).ensure('cli', 'CLI');
    const published = await new FlowRepository(db, registry, tenant.id).publish(flow);
    await runtime.start();
    const { executionId } = await runtime.startExecution({
      tenantId: tenant.id,
      flowId: published.flowId,
      flowVersion: published.version,
      flow: published.flow,
      trigger: trigger.id,
      payload: input,
      mode: 'cli',
      durable: true,
    });
    const result = await runtime.result(executionId, true);
    const view = await new ExecutionRepository(db, tenant.id).get(executionId);
    out.write(JSON.stringify({ ...view, status: result.status, output: result.output, error: result.error }, null, 2) + '\n');
    return result.status === 'succeeded' ? 0 : 1;
  } catch (e) {
    if (e instanceof FlowInvalidError) err.write(formatErrors(file, e.errors));
    else err.write(`run failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await runtime.stop();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
