// A process that starts a queue runtime (worker and producer roles), adds a job, stops both
// and returns from its top level: it must then exit on its own. Used by
// test/queue/stop-handles.test.ts; argv: redis URL, BullMQ prefix.
import { type RunStore } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { createRegistry } from '../../nodes/registry.js';

const [redisUrl, prefix] = process.argv.slice(2) as [string, string];
// Nothing to drive: the reconciler finds no waits and no orphans.
const store: RunStore = {
  commit: async () => undefined,
  loadExecution: async () => null,
  listUnfinished: async () => [],
  unfinishedHeads: async () => [],
  waitsByIds: async () => [],
  dueWaits: async () => [],
  findEventWaits: async () => [],
  loadFlowVersion: async () => null,
  postponeWait: async () => undefined,
  renewLeases: async () => undefined,
};
const registry = createRegistry();
const worker = new QueueRuntime({ store, registry, redisUrl, prefix, role: 'worker', concurrency: 2 });
const producer = new QueueRuntime({ store, registry, redisUrl, prefix, role: 'producer' });
await worker.start();
await producer.start();
// A job the worker takes (its execution is unknown: a no-op), so the worker's connections are all in use.
await producer.enqueueDrive({ id: 'none', tenantId: 't', flowId: 'f', flowVersion: 1, subject: null, mode: 'manual' }, 1);
await new Promise((r) => setTimeout(r, 300));
await producer.stop();
await worker.stop();
process.stdout.write('stopped\n');
