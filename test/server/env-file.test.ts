// .env at start (server/env-file.ts): the file fills what the environment lacks, never overrides.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadEnvFile } from '../../server/env-file.js';
import { loadConfig } from '../../server/config.js';

describe('server: .env file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-env-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sets the variables the environment lacks and keeps the ones it has', async () => {
    const file = path.join(dir, '.env');
    await writeFile(file, '# Tadfuq\nPORT=4100\nHOST=0.0.0.0\nLOG_LEVEL="debug"\nTADFUQ_PUBLIC_URL=https://tadfuq.example.sa\n');
    const env: NodeJS.ProcessEnv = { PORT: '5000' };
    expect(loadEnvFile(env, file)).to.equal(file);
    expect(env).to.deep.equal({ PORT: '5000', HOST: '0.0.0.0', LOG_LEVEL: 'debug', TADFUQ_PUBLIC_URL: 'https://tadfuq.example.sa' });
    const config = loadConfig(env);
    expect(config).to.include({ port: 5000, host: '0.0.0.0', logLevel: 'debug', publicUrl: 'https://tadfuq.example.sa' });
  });

  it('a missing default .env is fine; a missing TADFUQ_ENV_FILE is an error', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadEnvFile(env, path.join(dir, 'absent.env'))).to.equal(null);
    expect(env).to.deep.equal({});
    expect(() => loadEnvFile({ TADFUQ_ENV_FILE: path.join(dir, 'absent.env') })).to.throw(/cannot read the env file/);
  });

  it('.env.example, copied as it is, gives the documented defaults', () => {
    const env: NodeJS.ProcessEnv = {};
    loadEnvFile(env, path.resolve('.env.example'));
    expect(loadConfig(env)).to.deep.equal(loadConfig({}));
  });
});
