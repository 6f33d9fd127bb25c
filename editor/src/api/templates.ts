// Template shapes and calls (server/routes/templates.ts is the source): the built-in gallery,
// a template file's manifest, and the import with the importer's choices.
import { api } from './client';
import type { FlowNodeDoc, Problem, Text } from './types';

export type VariableValue = string | number | boolean;

export interface CredentialRequirement { ref: string; type: string; label: Text }
export interface VariableDeclaration { name: string; label: Text; default?: VariableValue; required?: boolean }

export interface TemplateManifest {
  id: string;
  name: Text;
  description: Text;
  version: string;
  credentials: CredentialRequirement[];
  variables: VariableDeclaration[];
  exportedAt?: string;
}

export interface TemplateFlowDoc { key: string; definition: { name?: string; nodes?: FlowNodeDoc[]; [extra: string]: unknown } }
export interface TemplateFile { tadfuqTemplate: 1; manifest: TemplateManifest; flows: TemplateFlowDoc[] }

/** GET /templates items. */
export interface TemplateSummary {
  id: string;
  name: Text;
  description: Text;
  version: string;
  credentials: CredentialRequirement[];
  variables: VariableDeclaration[];
  nodeTypes: string[];
  flows: { key: string; name: string }[];
}
export interface TemplateDetail extends TemplateSummary { template: TemplateFile }

export interface ImportChoices {
  credentials: Record<string, string>;
  variables: Record<string, VariableValue>;
  publish: boolean;
}

export interface ImportAnswer {
  template: { id: string; version: string };
  flows: { key: string; flowId: string; name: string; status: 'draft' | 'published'; version?: number }[];
}

/** GET /credentials items (metadata only: never the secret). */
export interface CredentialMeta { id: string; name: string; type: string }
export interface CredentialTypeInfo { type: string; label: Text; description: Text }

/** Where an import comes from: a built-in template (by id) or an uploaded file. */
export type TemplateSource = { kind: 'gallery'; id: string; manifest: TemplateManifest } | { kind: 'file'; template: TemplateFile };

export const manifestOf = (source: TemplateSource): TemplateManifest => (source.kind === 'gallery' ? source.manifest : source.template.manifest);

export function importTemplate(source: TemplateSource, choices: ImportChoices): Promise<ImportAnswer> {
  return source.kind === 'gallery'
    ? api.post<ImportAnswer>(`/templates/${encodeURIComponent(source.id)}/import`, choices)
    : api.post<ImportAnswer>('/templates/import', { template: source.template, ...choices });
}

/** A manifest that declares what the importer must choose (credentials or variables). */
export function needsChoices(doc: unknown): doc is TemplateFile {
  const m = (doc as { manifest?: { credentials?: unknown; variables?: unknown } } | null)?.manifest;
  if (!m || typeof m !== 'object') return false;
  // Both lists are required by the format: a file without them goes straight to the server, which names the problem.
  if (!Array.isArray(m.credentials) || !Array.isArray(m.variables) || typeof (m as { name?: unknown }).name !== 'object') return false;
  return m.credentials.length > 0 || m.variables.length > 0;
}

/**
 * The problems of an import answer sorted by what the importer can fix: one list per credential
 * ref and per variable name (paths /…/credentials/<ref>, /…/variables/<name>), the rest apart.
 */
export function sortProblems(details: readonly Problem[]): { credentials: Record<string, Problem[]>; variables: Record<string, Problem[]>; other: Problem[] } {
  // Without a prototype: a ref may be named like an Object.prototype member ("constructor").
  const bucket = () => Object.create(null) as Record<string, Problem[]>;
  const out = { credentials: bucket(), variables: bucket(), other: [] as Problem[] };
  const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
  for (const d of details) {
    const m = /^(?:\/body)?\/(credentials|variables)\/([^/]+)$/.exec(d.path);
    if (m) {
      const into = out[m[1] as 'credentials' | 'variables'];
      (into[unescape(m[2]!)] ??= []).push(d);
    } else out.other.push(d);
  }
  return out;
}
