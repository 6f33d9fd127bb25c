// Shapes of the HTTP API the editor reads (see /api/v1/openapi.json; the server is the source).
// Shapes the server declares as named schemas are imported from them, types only (the editor
// still talks to the server only over HTTP): server/schemas/*.ts.
import type { Static } from '@sinclair/typebox';
import type { Execution as ExecutionSchema, ExecutionStatus as ExecutionStatusSchema, ExecutionSummary as ExecutionSummarySchema, Step as StepSchema, StepError as StepErrorSchema, TestRunResult } from '../../../server/schemas/executions.js';
import type { FlowStatus as FlowStatusSchema, FlowSummary as FlowSummarySchema } from '../../../server/schemas/flows.js';
import type { ConsentView, ContactDetail as ContactDetailSchema, ContactView, EventView } from '../../../server/schemas/crm.js';
import type { EscalationView } from '../../../server/schemas/escalations.js';

export type FlowStatus = Static<typeof FlowStatusSchema>;
export type FlowSummary = Static<typeof FlowSummarySchema>;
export type ExecutionStatus = Static<typeof ExecutionStatusSchema>;
export type StepError = Static<typeof StepErrorSchema>;
export type Step = Static<typeof StepSchema>;
export type ExecutionSummary = Static<typeof ExecutionSummarySchema>;
export type Execution = Static<typeof ExecutionSchema>;
export type TestRun = Static<typeof TestRunResult>;
export type Contact = Static<typeof ContactView>;
export type Consent = Static<typeof ConsentView>;
export type ContactDetail = Static<typeof ContactDetailSchema>;
export type ConsentEvent = Static<typeof EventView>;
export type Escalation = Static<typeof EscalationView>;
export type Locale = 'ar' | 'en';
export type Role = 'owner' | 'admin' | 'manager' | 'sales_rep' | 'viewer';
export type Text = { ar: string; en: string };

export interface User { id: string; email: string; name: string; locale: Locale }
export interface Tenant { id: string; slug: string; name: string }
export interface Membership extends Tenant { role: Role }

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
  tenant: Tenant;
  role: Role;
  tenants: Membership[];
}

export interface Me { user: User; tenant: Tenant; role: Role; tenants: Membership[]; permissions: string[] }

export interface Problem { path: string; code: string; message: string }

export interface NodeTypeInfo {
  type: string;
  version: number;
  category: string;
  label: Text;
  description: Text;
  icon: string;
  params: JsonSchema;
  outputs: { port: string; label: Text }[] | null;
  dynamicOutputs: boolean;
  credentials: string[];
  policyClass: string;
  trigger: boolean;
}

export type JsonSchema = { [key: string]: unknown };



export interface FlowNodeDoc {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  position?: { x: number; y: number };
  label?: string;
  [extra: string]: unknown;
}
export interface FlowEdgeDoc { id: string; from: { node: string; port: string }; to: { node: string; port: string } }
export interface StickyNote { id: string; text: string; position: { x: number; y: number }; width: number; height: number }
export interface FlowDoc {
  schemaVersion: 1;
  name: string;
  nodes: FlowNodeDoc[];
  edges: FlowEdgeDoc[];
  settings?: Record<string, unknown>;
  meta?: { notes?: StickyNote[]; [key: string]: unknown };
  [extra: string]: unknown;
}

export interface FlowDetail {
  id: string;
  name: string;
  status: FlowStatus;
  publishedVersion: number | null;
  revision: number;
  draft: FlowDoc;
  sampleInput: unknown;
  problems: Problem[];
  classBNodes: { id: string; type: string }[];
  unpublishedChanges: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface FlowVersion {
  flowId: string;
  version: number;
  createdAt: string;
  createdBy: string | null;
  origin: { kind?: string; [k: string]: unknown } | null;
}







export interface Page<T> { items: T[]; nextCursor: string | null }






export interface ConversationItem {
  id: string;
  direction: 'inbound' | 'outbound';
  channel: string;
  at: string;
  text: string | null;
  subject: string | null;
  template: string | null;
  status: string | null;
  optOut: boolean;
}

/** Lists with `next` (escalations, contacts, consent events, conversation). */
