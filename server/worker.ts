// `npm run worker`: a queue-mode worker (needs DATABASE_URL=postgres://… and REDIS_URL).
// Start as many as you like, on any machine. SIGTERM: stop taking jobs, finish in-flight
// segments, exit.
import { loadConfig } from './config.js';
import { loadEnvFile } from './env-file.js';
import { createLogger } from './logger.js';
import http from 'node:http';
import { createContext } from './app-context.js';
import { metricsListener } from './metrics.js';

loadEnvFile(); // .env: the environment wins over it
const config = loadConfig();
const log = createLogger(config.logLevel);
const ctx = await createContext(config, log, 'worker');
await ctx.runtime.start();
// Steps run here, so their counters and latencies live here: Prometheus scrapes each worker.
const metricsServer =
  config.workerMetricsPort > 0
    ? http
        // Private like the API's /metrics: bearer token, or loopback clients without one.
        .createServer(metricsListener(ctx.metrics.registry, config.metricsToken))
        .listen(config.workerMetricsPort, config.host)
    : null;
metricsServer?.on('error', (err) => log.warn({ err }, 'worker metrics endpoint unavailable'));
log.info({ database: ctx.db.dialect, concurrency: config.workerConcurrency, metricsPort: config.workerMetricsPort || null }, 'tadfuq worker is up — عامل تدفق يعمل');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'worker shutting down');
  metricsServer?.close();
  await ctx.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
