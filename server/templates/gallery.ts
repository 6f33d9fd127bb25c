// The built-in template gallery: every seeds/templates/*.json, read once. This file does I/O
// (the directory); summarize() is pure.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { moduleLocation } from '../../engine/module-dir.js';
import type { FlowError } from '../../engine/index.js';
import { templateShapeErrors, type CredentialRequirement, type Localized, type TemplateDoc, type VariableDeclaration } from './template-format.js';

export interface TemplateSummary {
  id: string;
  name: Localized;
  description: Localized;
  version: string;
  credentials: CredentialRequirement[];
  variables: VariableDeclaration[];
  /** Node types the flows use, sorted. */
  nodeTypes: string[];
  flows: { key: string; name: string }[];
}

export function summarize(t: TemplateDoc): TemplateSummary {
  const nodeTypes = new Set<string>();
  const flows = t.flows.map((f) => {
    const def = (f.definition ?? {}) as { name?: unknown; nodes?: unknown };
    for (const n of Array.isArray(def.nodes) ? def.nodes : []) if (n && typeof (n as { type?: unknown }).type === 'string') nodeTypes.add((n as { type: string }).type);
    return { key: f.key, name: typeof def.name === 'string' ? def.name : f.key };
  });
  const { id, name, description, version, credentials, variables } = t.manifest;
  return { id, name, description, version, credentials, variables, nodeTypes: [...nodeTypes].sort(), flows };
}

/** seeds/templates next to the sources (tsx) or next to dist/ (the built server). */
export function builtinTemplatesDir(): string {
  const here = moduleLocation(import.meta.url, 'server/templates').dir;
  const candidates = [path.resolve(here, '../../seeds/templates'), path.resolve(here, '../../../seeds/templates')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

export interface Gallery {
  templates: TemplateDoc[];
  /** Files that could not be used (not JSON, not a template, an id used twice). */
  problems: { file: string; errors: FlowError[] }[];
}

export async function loadGallery(dir = builtinTemplatesDir()): Promise<Gallery> {
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.json')).sort() : [];
  const templates: TemplateDoc[] = [];
  const problems: Gallery['problems'] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    } catch (err) {
      problems.push({ file, errors: [{ path: '', code: 'invalid_json', message: (err as Error).message }] });
      continue;
    }
    const errors = templateShapeErrors(doc);
    const t = doc as TemplateDoc;
    if (!errors.length && templates.some((x) => x.manifest.id === t.manifest.id)) {
      errors.push({ path: '/manifest/id', code: 'duplicate', message: `another file has id "${t.manifest.id}"` });
    }
    if (errors.length) problems.push({ file, errors });
    else templates.push(t);
  }
  return { templates, problems };
}
