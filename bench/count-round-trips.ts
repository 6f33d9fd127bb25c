// Preloaded into the queue bench's API and worker processes (`--import tsx --import
// ./bench/count-round-trips.ts`): counts Redis round trips (a command sent alone, or one
// pipeline / MULTI sent as one write) and PostgreSQL round trips and statements (a query call;
// a multi-statement script is one round trip of several statements). SIGUSR2 writes the
// counts so far to $TADFUQ_COUNT_DIR/<pid>.json; the bench takes a snapshot before and after
// its measured load and divides the difference by the executions.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const counts = { redisRoundTrips: 0, redisCommands: 0, sqlRoundTrips: 0, sqlStatements: 0, byCommand: {} as Record<string, number> };

type SendCommand = (this: unknown, command: { name: string }, stream?: { isPipeline?: boolean }) => unknown;
const ioredis = require('ioredis') as { Redis: { prototype: { sendCommand: SendCommand } } };
const Redis = ioredis.Redis;
const sendCommand = Redis.prototype.sendCommand;
// A pipeline (MULTI included) sends its commands through one `stream` object, written once:
// one round trip per stream, counted at its first command.
const pipelines = new WeakSet<object>();
Redis.prototype.sendCommand = function (command, stream) {
  counts.redisCommands++;
  const name = stream?.isPipeline ? '(pipeline)' : command.name;
  if (stream?.isPipeline) {
    if (pipelines.has(stream)) return sendCommand.call(this, command, stream);
    pipelines.add(stream);
  }
  counts.redisRoundTrips++;
  counts.byCommand[name] = (counts.byCommand[name] ?? 0) + 1;
  return sendCommand.call(this, command, stream);
};

const pg = require('pg') as { Client: { prototype: { query: (this: unknown, ...a: unknown[]) => unknown } } };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
  counts.sqlRoundTrips++;
  counts.sqlStatements += text.split(';\n').length;
  return query.apply(this, args);
};

process.on('SIGUSR2', () => {
  const dir = process.env.TADFUQ_COUNT_DIR;
  if (dir) writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(counts));
});
