// The real server (child process, PORT=0, fresh data dir) serving a fresh editor build.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO_PASSWORD = 'tadfuq-demo-2026';
export const demoUser = (role: 'owner' | 'admin' | 'manager' | 'sales-rep' | 'viewer') => `${role}@demo.tadfuq.test`;

/** Runs bin/ensure-editor-build.mjs (vite build when the build is missing or stale). */
export async function buildEditor(): Promise<void> {
  const mod = (await import(pathToFileURL(path.join(root, 'bin/ensure-editor-build.mjs')).href)) as { ensureEditorBuild: (o: { quiet: boolean }) => boolean };
  if (!mod.ensureEditorBuild({ quiet: true })) throw new Error('no editor build');
}

export interface EditorServer {
  origin: string;
  server: ServerProcess;
  token(role: Parameters<typeof demoUser>[0]): Promise<string>;
  api<T>(token: string, method: string, url: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startEditorServer(): Promise<EditorServer> {
  await buildEditor();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tadfuq-editor-'));
  const server = await startServerProcess({
    TADFUQ_DATA_DIR: dataDir,
    // Every browser suite signs in from 127.0.0.1 against one server: lift the per-IP limits.
    TADFUQ_LOGIN_RATE_PER_MINUTE: '1000',
    TADFUQ_SIGNUP_RATE_PER_HOUR: '1000', ...(process.env.TADFUQ_EDITOR_OUT ? { TADFUQ_EDITOR_DIR: path.resolve(process.env.TADFUQ_EDITOR_OUT) } : {}) });
  const origin = server.origin;
  const api = async <T>(token: string, method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${origin}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const tokens = new Map<string, string>();
  return {
    origin,
    server,
    api,
    token: async (role) => {
      const cached = tokens.get(role);
      if (cached) return cached;
      const res = await fetch(`${origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: demoUser(role), password: DEMO_PASSWORD }) });
      if (!res.ok) throw new Error(`login ${role}: ${res.status} ${await res.text()}`);
      const token = ((await res.json()) as { accessToken: string }).accessToken;
      tokens.set(role, token);
      return token;
    },
    stop: async () => {
      await server.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
