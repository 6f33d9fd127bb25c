// What nodes on the canvas show besides their own JSON: node-type metadata, problems of the
// last saved draft, and the steps of the last run. Kept out of node.data so the flow stays plain.
import { createContext, useContext } from 'react';
import type { NodeTypeInfo, Problem, Step } from '../api/types';
import type { StepReport } from '../api/analytics';
import type { Direction } from './graph';

export interface CanvasInfo {
  types: Map<string, NodeTypeInfo>;
  dir: Direction;
  problems: Map<string, Problem[]>;
  steps: Map<string, Step>;
  readOnly: boolean;
  /** Step analytics shown on the send nodes when the editor's overlay is on (read-only). */
  analytics?: Map<string, StepReport> | null;
}

export const CanvasContext = createContext<CanvasInfo>({
  types: new Map(),
  dir: 'ltr',
  problems: new Map(),
  steps: new Map(),
  readOnly: true,
});

export const useCanvasInfo = () => useContext(CanvasContext);

/** Problems by node id, from paths like /nodes/2/params/url against the document that was saved. */
export function problemsByNode(problems: Problem[], savedNodeIds: string[]): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const p of problems) {
    const m = /^\/nodes\/(\d+)(?:\/|$)/.exec(p.path);
    const id = m ? savedNodeIds[Number(m[1])] : undefined;
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push(p);
    out.set(id, list);
  }
  return out;
}

/** Problems of the flow as a whole (no node): missing trigger, edges to nowhere, … */
export function flowProblems(problems: Problem[]): Problem[] {
  return problems.filter((p) => !/^\/nodes\/\d+/.test(p.path));
}

/** The last step of each node (a node may run several times: retries, replays). */
export function lastStepByNode(steps: Step[]): Map<string, Step> {
  const out = new Map<string, Step>();
  for (const s of steps) out.set(s.node, s);
  return out;
}

export function preview(value: unknown, max = 80): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
