// `.env` beside where the server, a worker or the `tadfuq` command starts (the working
// directory; TADFUQ_ENV_FILE names another file): read once at start, before the
// configuration. Variables already in the environment win over the file, so
// `PORT=4000 npm start` overrides a PORT in .env. A missing file is not an error.
// Parsing is Node's own (util.parseEnv, the --env-file syntax): no dependency.
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** Loads the file into `env` (keys it already has are kept); returns the file read, or null. */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, file = env.TADFUQ_ENV_FILE || '.env'): string | null {
  const full = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.TADFUQ_ENV_FILE) return null;
    throw new Error(`cannot read the env file ${full}: ${(err as Error).message}`);
  }
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (env[key] === undefined) env[key] = value;
  }
  return full;
}
