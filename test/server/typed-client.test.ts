// A client generated from the served OpenAPI document must be usable as it is: openapi-typescript
// turns /api/v1/openapi.json into types, a small client written against them with openapi-fetch
// compiles under `tsc --strict`, and its calls work against the running server. The generated
// types must say what the server knows (the flow definition's nodes are FlowNode[], not unknown).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { pino } from 'pino';
import request from 'supertest';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { assertContract, checkedApp } from '../helpers/contract.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

// Written against the generated types: wrong paths, parameters or fields fail to compile.
const CLIENT = `import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type FlowStatus = components['schemas']['FlowStatus'];
type FlowNode = components['schemas']['FlowNode'];

export async function exercise(baseUrl: string, headers: Record<string, string>) {
  const api = createClient<paths>({ baseUrl, headers });
  const created = await api.POST('/api/v1/flows', { body: { name: 'Typed client' } });
  if (!created.data) throw new Error('create failed: ' + JSON.stringify(created.error));
  const id: string = created.data.id;
  const status: FlowStatus = created.data.status;
  // limit has a default: the query may leave it out.
  const list = await api.GET('/api/v1/flows', { params: { query: {} } });
  const names: string[] = (list.data?.items ?? []).map((f) => f.name);
  const next: string | null | undefined = list.data?.nextCursor;
  const draft = await api.PUT('/api/v1/flows/{id}/draft', {
    params: { path: { id } },
    body: {
      revision: created.data.revision,
      draft: { schemaVersion: 1, name: 'Typed client', nodes: [{ id: 'start', type: 'trigger.manual' }], edges: [] },
    },
  });
  if (!draft.data) throw new Error('save failed: ' + JSON.stringify(draft.error));
  const published = await api.POST('/api/v1/flows/{id}/publish', { params: { path: { id }, query: {} } });
  // 201 {version} or 202 {request} (a publish request): the union the document declares.
  const version = published.data && 'version' in published.data ? published.data.version.version : undefined;
  const read = await api.GET('/api/v1/flows/{id}/versions/{version}', { params: { path: { id, version: version ?? 1 } } });
  const nodes: FlowNode[] = read.data?.definition.nodes ?? [];
  const missing = await api.GET('/api/v1/flows/{id}', { params: { path: { id: 'no-such-flow' } } });
  const code: string | undefined = missing.error?.error.code;
  return { id, status, names, next, version, nodeTypes: nodes.map((n) => n.type), missing: missing.response.status, code };
}
`;

describe('typed client generated from the OpenAPI document (openapi-typescript + openapi-fetch)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let dir: string;
  let ctx: AppContext;
  let app: http.RequestListener;
  let server: http.Server;
  let owner: TestMember;
  let generated: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-typed-client-'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-client-src-'));
    // The client's imports (openapi-fetch) resolve from the project's node_modules.
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    const tenant = await ctx.tenants.ensure('typed', 'Typed');
    owner = await addMember(ctx, tenant.id, 'owner');
    app = checkedApp(ctx);
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as Record<string, unknown>;
    generated = astToString(await openapiTS(doc as never));
    await writeFile(path.join(dir, 'api.ts'), generated);
    await writeFile(path.join(dir, 'client.ts'), CLIENT);
  });

  after(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    assertContract(app);
  });

  it('the generated types name the flow definition, its nodes and edges, and no answer is unknown', () => {
    expect(generated).to.match(/FlowDefinition: \{[^}]*nodes: components\["schemas"\]\["FlowNode"\]\[\];/s);
    expect(generated).to.match(/edges: components\["schemas"\]\["FlowEdge"\]\[\];/);
    expect(generated).to.match(/draft: components\["schemas"\]\["FlowDraft"\];/);
    expect(generated).to.match(/definition: components\["schemas"\]\["FlowDefinition"\];/);
    // Every JSON answer is typed: `"application/json": unknown` would be a {} schema. Only the
    // webhooks' request bodies are any JSON by design.
    const untyped = [...generated.matchAll(/"application\/json": unknown;/g)].filter((m) => !generated.slice(Math.max(0, m.index - 120), m.index).includes('requestBody'));
    expect(untyped).to.have.length(0);
    expect(generated.match(/"application\/json": unknown;/g)).to.have.length(3);
  });

  it('a client written against them compiles with tsc --strict', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--strict', '--noEmit', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', path.join(dir, 'client.ts')];
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const result = await run(process.execPath, [tsc, ...args], { cwd: dir }).catch((err: { stdout?: string; stderr?: string }) => err);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).to.equal('');
  });

  it('a wrong field does not compile (the types are not any)', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const broken = (await readFile(path.join(dir, 'client.ts'), 'utf8')).replace("const id: string = created.data.id;", 'const id: number = created.data.id;');
    await writeFile(path.join(dir, 'broken.ts'), broken);
    const result = await run(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', path.join(dir, 'broken.ts')], { cwd: dir }).catch((err: { stdout?: string }) => err);
    expect(result.stdout ?? '').to.match(/TS2322/);
  });

  it('its calls work against the running server', async () => {
    const { port } = server.address() as AddressInfo;
    const client = (await import(pathToFileURL(path.join(dir, 'client.ts')).href)) as { exercise(base: string, headers: Record<string, string>): Promise<Record<string, unknown>> };
    const out = await client.exercise(`http://127.0.0.1:${port}`, owner.headers);
    expect(out).to.include({ status: 'draft', version: 1, missing: 404, code: 'not_found' });
    expect(out.names).to.include('Typed client');
    expect(out.nodeTypes).to.deep.equal(['trigger.manual']);
  });
});
