// `npm run queue:status`: the figures of /metrics for a terminal — jobs by state (queue
// mode), executions by status, pending waits.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../engine/queue.js';
import { openDatabase } from '../../db/index.js';
import { loadConfig } from '../config.js';

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const out: string[] = [];
out.push(`database: ${db.dialect}${config.redisUrl ? `, redis: ${config.redisUrl}` : ' (embedded runtime, no queue)'}`);
if (config.redisUrl) {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection, prefix: config.queuePrefix });
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
  out.push('jobs:       ' + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join('  '));
  out.push(`schedulers: ${await queue.getJobSchedulersCount()}`);
  await queue.close();
  await connection.quit();
}
const executions = await db.sql.query('SELECT status, COUNT(*) AS n FROM executions GROUP BY status ORDER BY status');
out.push('executions: ' + (executions.map((r) => `${r.status} ${r.n}`).join('  ') || 'none'));
const waits = await db.sql.query('SELECT kind, COUNT(*) AS n, MIN(due_at) AS next FROM waits GROUP BY kind ORDER BY kind');
out.push('waits:      ' + (waits.map((r) => `${r.kind} ${r.n}${r.next ? ` (next due ${new Date(Number(r.next)).toISOString()})` : ''}`).join('  ') || 'none'));
const failures = await db.sql.query("SELECT node_type, COUNT(*) AS n FROM execution_steps WHERE status = 'failed' GROUP BY node_type ORDER BY n DESC");
out.push('failed steps by node type: ' + (failures.map((r) => `${r.node_type} ${r.n}`).join('  ') || 'none'));
await db.close();
process.stdout.write(out.join('\n') + '\n');
