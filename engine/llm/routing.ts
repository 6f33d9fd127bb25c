// LLM routing by task: every request's `task` label (score, reply, agent:deal_advisor…) belongs
// to a task class, and each class has an ordered list of {provider, model} routes. The chain
// (chain.ts) walks the class's routes, then the `fallback` class's routes not already tried,
// then the request's rules. Defaults below; a tenant replaces any class's list and any task's
// class (settings `llmRouting`, PUT /api/v1/llm-routing). Pure: no I/O.
import type { LlmProviderName } from './types.js';

export const TASK_CLASSES = ['classification', 'sales_copy', 'research', 'code', 'fallback'] as const;
export type TaskClass = (typeof TASK_CLASSES)[number];

export const LLM_PROVIDERS: readonly LlmProviderName[] = ['groq', 'openai', 'anthropic', 'gemini', 'deepseek'];

export interface LlmRoute {
  provider: LlmProviderName;
  model: string;
}

/** The routing table: an ordered list of routes per task class. */
export type RoutingTable = Readonly<Record<TaskClass, readonly LlmRoute[]>>;

/** A tenant's routing (tenant settings `llmRouting`); every field optional, a class given replaces its default list. */
export interface LlmRoutingSettings {
  routes?: Partial<Record<TaskClass, LlmRoute[]>>;
  /** A task label (full `agent:deal_advisor` or its prefix `agent`) → its class. */
  taskClasses?: Record<string, TaskClass>;
}

/**
 * The default table. Why these: Groq's Llama answers fastest and handles Arabic well enough for
 * short labelling (scores, reply classes, compliance flags); Claude writes the best long-form
 * sales copy and proposals; Gemini's long context suits research and summaries; DeepSeek is
 * cheap and strong at code; OpenAI is the general fallback every class ends with.
 */
export const DEFAULT_ROUTING: RoutingTable = {
  classification: [
    { provider: 'groq', model: 'llama-3.3-70b-versatile' },
    { provider: 'openai', model: 'gpt-4o-mini' },
  ],
  sales_copy: [
    { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    { provider: 'openai', model: 'gpt-4o-mini' },
  ],
  research: [
    { provider: 'gemini', model: 'gemini-2.5-flash' },
    { provider: 'openai', model: 'gpt-4o-mini' },
  ],
  code: [
    { provider: 'deepseek', model: 'deepseek-chat' },
    { provider: 'openai', model: 'gpt-4o-mini' },
  ],
  // Groq last: a workspace with only a Groq key (the chain before routing) keeps answering.
  fallback: [
    { provider: 'openai', model: 'gpt-4o-mini' },
    { provider: 'groq', model: 'llama-3.3-70b-versatile' },
  ],
};

/**
 * Today's task labels and their class. Agent roles that label or check (lead qualifier,
 * compliance, escalation) are classification; those that write to a prospect (content,
 * deal advice with proposal text, sequence rewrites) are sales copy; those that read and
 * summarise (meeting prep, analytics) are research. Anything else (custom agents, new tasks)
 * is `fallback`; a task starting with `code` is `code`.
 */
export const DEFAULT_TASK_CLASSES: Readonly<Record<string, TaskClass>> = {
  score: 'classification',
  reply: 'classification',
  'agent:lead_qualifier': 'classification',
  'agent:compliance_checker': 'classification',
  'agent:escalation_handler': 'classification',
  'agent:content_generator': 'sales_copy',
  'agent:deal_advisor': 'sales_copy',
  'agent:sequence_optimizer': 'sales_copy',
  'agent:meeting_prep': 'research',
  'agent:analytics_reporter': 'research',
  'agent:custom': 'fallback',
  code: 'code',
};

export function isTaskClass(value: unknown): value is TaskClass {
  return typeof value === 'string' && (TASK_CLASSES as readonly string[]).includes(value);
}

/** The class of a task: the tenant's mapping, then the defaults, each by the full task then its prefix. */
export function taskClassOf(task: string, settings?: LlmRoutingSettings): TaskClass {
  const prefix = task.split(':')[0] ?? task;
  for (const table of [settings?.taskClasses, DEFAULT_TASK_CLASSES]) {
    for (const key of [task, prefix]) {
      const c = table?.[key];
      if (isTaskClass(c)) return c;
    }
  }
  return 'fallback';
}

/** The table in force: the defaults with the tenant's classes replacing theirs. */
export function effectiveRouting(settings?: LlmRoutingSettings): RoutingTable {
  const out = { ...DEFAULT_ROUTING } as Record<TaskClass, readonly LlmRoute[]>;
  for (const c of TASK_CLASSES) {
    const routes = settings?.routes?.[c];
    if (routes && routes.length) out[c] = routes;
  }
  return out;
}

/** The routes a request walks: its class's, then the fallback class's not already listed. */
export function routesFor(taskClass: TaskClass, settings?: LlmRoutingSettings): LlmRoute[] {
  const table = effectiveRouting(settings);
  const out: LlmRoute[] = [];
  const seen = new Set<string>();
  for (const r of [...table[taskClass], ...(taskClass === 'fallback' ? [] : table.fallback)]) {
    const id = `${r.provider}\u0000${r.model}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ provider: r.provider, model: r.model });
  }
  return out;
}

/** Problems of a tenant routing table beyond its schema (duplicates), with JSON-pointer paths. */
export function routingProblems(settings: LlmRoutingSettings, basePath = ''): { path: string; code: string; message: string }[] {
  const problems: { path: string; code: string; message: string }[] = [];
  for (const c of TASK_CLASSES) {
    const routes = settings.routes?.[c];
    if (!routes) continue;
    const seen = new Map<string, number>();
    routes.forEach((r, i) => {
      const id = `${r.provider}\u0000${r.model}`;
      const first = seen.get(id);
      if (first !== undefined) problems.push({ path: `${basePath}/routes/${c}/${i}`, code: 'duplicate_route', message: `${r.provider} ${r.model} is already route ${first} of ${c}` });
      else seen.set(id, i);
    });
  }
  return problems;
}
