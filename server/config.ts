// Configuration comes from the environment only (documented in README.md and .env.example).
import path from 'node:path';
import { defaultIsolation, type SandboxIsolation } from '../nodes/code/index.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: string;
  /** Largest webhook body accepted, in bytes. */
  bodyLimitBytes: number;
  /** BullMQ key prefix (queue mode). */
  queuePrefix: string;
  /** Jobs one worker process runs at once (queue mode). */
  workerConcurrency: number;
  /**
   * Past this backlog, webhooks and POST /events answer 503 overloaded with Retry-After
   * (TADFUQ_MAX_BACKLOG, formerly TADFUQ_QUEUE_MAX_BACKLOG; 0: never). Queue mode counts the
   * runnable jobs waiting for a worker; the embedded runtime the executions this process is
   * driving (each holds its state in memory until it ends or suspends) and those waiting for a
   * drive slot.
   */
  maxBacklog: number;
  /**
   * Embedded runtime: webhooks, schedule ticks, replays, timer wake-ups and executions resumed at
   * start driven at once (TADFUQ_MAX_DRIVING); more wait for a slot in order, and a webhook's
   * answer waits with them.
   */
  maxDriving: number;
  /** Executions of one tenant driven at once across all workers (queue mode). */
  tenantConcurrency: number;
  /** Schedule ticks missed while everything was down (queue mode): skip or run once. */
  missedTicks: 'skip' | 'runOnce';
  /** Port of a worker's /metrics (0: none). Several workers on one host need distinct ports. */
  workerMetricsPort: number;
  /** How long an `onFinish` webhook waits for the flow before answering 202 running. */
  webhookWaitMs: number;
  /** Ceiling of a tenant's expression timeout (ms). */
  expressionTimeoutMaxMs: number;
  /** TADFUQ_SECRET_KEY (32 bytes, hex or base64); absent: generated into <data dir>/secret.key. */
  secretKey: string | undefined;
  /** Origins allowed to call the API from a browser (TADFUQ_CORS_ORIGINS, comma-separated; none by default). */
  corsOrigins: string[];
  /**
   * The server's public base URL (TADFUQ_PUBLIC_URL, e.g. https://tadfuq.example.sa): provider
   * callback URLs are built from it and Twilio signatures are checked against it. Unset: the
   * request's own host (fine when nothing rewrites it on the way in).
   */
  publicUrl: string | undefined;
  /**
   * The Meta app's secret (TADFUQ_WHATSAPP_APP_SECRET): the WhatsApp Cloud API webhook's
   * X-Hub-Signature-256 is checked with it. Unset: the webhook answers 404 to events.
   */
  whatsappAppSecret?: string | undefined;
  /** The verify token of the webhook's GET handshake (TADFUQ_WHATSAPP_VERIFY_TOKEN). Unset: verification fails. */
  whatsappVerifyToken?: string | undefined;
  /** Sign-in attempts one IP address may make per minute (TADFUQ_LOGIN_RATE_PER_MINUTE). */
  loginRatePerMinute: number;
  /** Sign-ups one IP address may make per hour (TADFUQ_SIGNUP_RATE_PER_HOUR). */
  signupRatePerHour: number;
  /** Bearer token /metrics (API and worker) requires (TADFUQ_METRICS_TOKEN); unset: loopback clients only. */
  metricsToken: string | undefined;
  /** /readyz answers 503 while the event loop lagged more than this over the last seconds (TADFUQ_READY_MAX_LAG_MS; 0: never). */
  readyMaxLagMs: number;
  /**
   * How the code step keeps runs apart (TADFUQ_CODE_ISOLATION). The sandbox pool reads the same
   * variable when its first run starts it; reading it here makes a wrong value fail at start-up.
   */
  codeIsolation: SandboxIsolation;
}

export const LOGIN_RATE_PER_MINUTE = 20;
export const SIGNUP_RATE_PER_HOUR = 10;
export const READY_MAX_LAG_MS = 500;
/** About 10 s of one worker's throughput on the reference flow (bench/README.md): longer waits are refused. */
export const MAX_BACKLOG = 5000;
export const MAX_DRIVING = 256;

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function missedTicks(value: string | undefined): 'skip' | 'runOnce' {
  if (value === undefined || value === '' || value === 'skip') return 'skip';
  if (value === 'runOnce') return 'runOnce';
  throw new Error(`TADFUQ_MISSED_TICKS must be "skip" or "runOnce", got "${value}"`);
}

function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`TADFUQ_PUBLIC_URL must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`TADFUQ_PUBLIC_URL must be an http(s) URL, got "${value}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: int(env.PORT, 3000, 'PORT'),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.TADFUQ_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimitBytes: int(env.TADFUQ_BODY_LIMIT_BYTES, 1024 * 1024, 'TADFUQ_BODY_LIMIT_BYTES'),
    queuePrefix: env.TADFUQ_QUEUE_PREFIX || 'tadfuq',
    workerConcurrency: int(env.TADFUQ_WORKER_CONCURRENCY, 50, 'TADFUQ_WORKER_CONCURRENCY'),
    maxBacklog: env.TADFUQ_MAX_BACKLOG
      ? int(env.TADFUQ_MAX_BACKLOG, MAX_BACKLOG, 'TADFUQ_MAX_BACKLOG')
      : int(env.TADFUQ_QUEUE_MAX_BACKLOG, MAX_BACKLOG, 'TADFUQ_QUEUE_MAX_BACKLOG'),
    maxDriving: int(env.TADFUQ_MAX_DRIVING, MAX_DRIVING, 'TADFUQ_MAX_DRIVING'),
    tenantConcurrency: int(env.TADFUQ_TENANT_CONCURRENCY, 100, 'TADFUQ_TENANT_CONCURRENCY'),
    missedTicks: missedTicks(env.TADFUQ_MISSED_TICKS),
    workerMetricsPort: int(env.TADFUQ_WORKER_METRICS_PORT, 0, 'TADFUQ_WORKER_METRICS_PORT'),
    webhookWaitMs: int(env.TADFUQ_WEBHOOK_WAIT_MS, 30_000, 'TADFUQ_WEBHOOK_WAIT_MS'),
    expressionTimeoutMaxMs: int(env.TADFUQ_EXPRESSION_TIMEOUT_MAX_MS, 1000, 'TADFUQ_EXPRESSION_TIMEOUT_MAX_MS'),
    secretKey: env.TADFUQ_SECRET_KEY || undefined,
    corsOrigins: (env.TADFUQ_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    publicUrl: publicUrl(env.TADFUQ_PUBLIC_URL),
    whatsappAppSecret: env.TADFUQ_WHATSAPP_APP_SECRET || undefined,
    whatsappVerifyToken: env.TADFUQ_WHATSAPP_VERIFY_TOKEN || undefined,
    loginRatePerMinute: int(env.TADFUQ_LOGIN_RATE_PER_MINUTE, LOGIN_RATE_PER_MINUTE, 'TADFUQ_LOGIN_RATE_PER_MINUTE'),
    signupRatePerHour: int(env.TADFUQ_SIGNUP_RATE_PER_HOUR, SIGNUP_RATE_PER_HOUR, 'TADFUQ_SIGNUP_RATE_PER_HOUR'),
    metricsToken: env.TADFUQ_METRICS_TOKEN || undefined,
    readyMaxLagMs: int(env.TADFUQ_READY_MAX_LAG_MS, READY_MAX_LAG_MS, 'TADFUQ_READY_MAX_LAG_MS'),
    codeIsolation: defaultIsolation(env),
  };
}
