// Enrollments: contacts put into a published flow (a sequence), one execution per contact,
// tracked as records of their own (db/enrollment-repository.ts). Decisions:
//
// - **Start.** enroll() starts the flow's published version at its `trigger.manual` node (a
//   flow without one cannot take enrollments: 409) with payload `{contact}` (the contact's
//   fields), subject = the contact id, mode `enrollment`; `$contact` holds the same fields
//   (loaded by the runtime, runtime-hooks.ts). The enrollment row is claimed first (the unique
//   index refuses a second live one unless the flow's `settings.allowReentry`), then the
//   execution is started with the id the row already names.
// - **Skips** are reported per contact, never fail the call: not_found (unknown, another
//   tenant's, or for a sales rep another rep's), erased, already_enrolled, duplicate (named
//   twice in one call), start_failed; CSV rows also invalid_phone, invalid_email, missing_contact.
// - **Pause** cancels the execution and keeps the position: the interrupted step and the
//   history before it (resume_plan). **Resume** replays from that step with the engine's replay
//   (stepper/replay.ts): the steps before it are not run again (their outputs are reused), the
//   interrupted step runs anew — a delay or a wait starts over in full. The plan is a copy, so
//   a pause survives the pruning of its execution.
// - **End of an execution** (succeeded → completed, failed → failed, cancelled elsewhere →
//   cancelled): written when the runtime reports it (onFinished, runtime-hooks.ts, in whichever
//   process drove it), and checked again whenever enrollments are read (a process that died
//   between the two is caught up). `current_node` of an active enrollment is read live from its
//   execution; for the others it is the node stored at their last transition.
// - **Exits** (ContactExits): a reply ends every live enrollment except in flows that wait for
//   `message.received` themselves (wait.event: the reply resumes them instead); an erasure ends
//   all; an opt-out or a consent withdrawal on a channel ends those of flows with a send node of
//   that channel (`send.<channel>`), all when no channel is given. The execution is cancelled in
//   the call.
import { AnalyticsRepository } from '../../db/analytics-repository.js';
import { contactSnapshot } from '../crm/crm-views.js';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { ReplayUnavailable, replayStepOf, validateFlow, type Flow, type HistoryStep, type NodeRegistry, type Runtime } from '../../engine/index.js';
import { ExecutionRepository, FlowRepository, type Database } from '../../db/index.js';
import { AuditRepository } from '../../db/audit-repository.js';
import { ContactRepository, type Contact } from '../../db/contacts/index.js';
import { EnrollmentRepository, LIVE_STATES, dueEnrollmentResumes, type Enrollment, type EnrollmentHistoryEntry, type EnrollmentState, type ExecutionPosition } from '../../db/enrollment-repository.js';
import { ApiError, notFound } from '../api-error.js';
import type { ContactExits, ExitReason } from './contact-exits.js';
import type { EnrollTarget } from './enroll-csv.js';

export const ENROLLMENT_MODE = 'enrollment';
/** The event inbound replies are delivered as (nodes/wait-event.node.ts). */
const MESSAGE_RECEIVED = 'message.received';
/** An active enrollment whose execution row cannot be found for this long is marked failed. */
const MISSING_EXECUTION_GRACE_MS = 10 * 60 * 1000;
/** Contacts enrolled at once within one call. */
const ENROLL_CONCURRENCY = 8;

export interface EnrolledItem {
  enrollmentId: string;
  contactId: string;
  executionId: string;
  row?: number;
}

export interface SkippedItem {
  contactId?: string;
  row?: number;
  reason: string;
  message: string;
  /** already_enrolled: the enrollment the contact is in. */
  enrollmentId?: string;
}

export interface EnrollReport {
  flowId: string;
  flowVersion: number;
  enrolled: EnrolledItem[];
  skipped: SkippedItem[];
}

export interface EnrollOptions {
  actor: string;
  /** A sales rep's user id: only contacts they own can be enrolled (others are not_found). */
  ownerId?: string | null;
  requestId?: string | null;
  /** Row errors found before (CSV parsing), reported with the rest. */
  skipped?: SkippedItem[];
  /** What the audit entry names as the source (api, csv, cli). */
  source?: string;
}

/** The contact's fields as flows see them: the trigger payload's `contact` and `$contact` (one shape: crm-views). */
export const contactFields = contactSnapshot;

/** Where a paused enrollment resumes: a trimmed copy of its execution's history. */
interface ResumePlan {
  of: string;
  fromSeq: number;
  steps: HistoryStep[];
}

const ENDED_BY_EXECUTION: Record<string, EnrollmentState> = { succeeded: 'completed', failed: 'failed', cancelled: 'cancelled' };
const TERMINAL = new Set(Object.keys(ENDED_BY_EXECUTION));

/**
 * An execution carrying an enrollment ended: end the enrollment (only while it is still active
 * on that execution). Used by the runtime hook and by reads.
 */
export async function endFromExecution(db: Database, tenantId: string, enrollment: Enrollment, status: string, finishedAt: number | null): Promise<Enrollment | null> {
  const to = ENDED_BY_EXECUTION[status];
  if (!to || enrollment.state !== 'active' || !enrollment.executionId) return null;
  const repo = new EnrollmentRepository(db, tenantId);
  const node = await repo.lastNode(enrollment.executionId);
  return repo.transition(enrollment.id, {
    from: ['active'],
    to,
    reason: `execution_${status}`,
    actor: 'system',
    whileExecution: enrollment.executionId,
    currentNode: node ?? enrollment.currentNode,
    ...(finishedAt !== null ? { endedAt: finishedAt } : {}),
  });
}

/** Does this exit reason end an enrollment in `flow`? */
export function exitAffects(flow: Pick<Flow, 'nodes'>, reason: ExitReason, channel?: string): boolean {
  if (reason === 'erased') return true;
  if (reason === 'replied') {
    // A flow that waits for the reply handles it (wait.event resumes on `received`).
    return !flow.nodes.some((n) => n.type === 'wait.event' && ((n.params as { event?: unknown } | undefined)?.event ?? MESSAGE_RECEIVED) === MESSAGE_RECEIVED);
  }
  if (!channel) return true;
  // send.message (channel rotation) counts as sending on every channel it lists.
  return flow.nodes.some(
    (n) =>
      n.type === `send.${channel}` ||
      (n.type === 'send.message' && ((n.params as { channels?: Array<{ channel?: unknown }> } | undefined)?.channels ?? []).some((c) => c?.channel === channel)),
  );
}

/** Who pauses and resumes enrollments for an out-of-office reply. */
export const OUT_OF_OFFICE_ACTOR = 'system:out_of_office';

const EXIT_STATE: Record<ExitReason, EnrollmentState> = { replied: 'replied', opted_out: 'opted_out', consent_withdrawn: 'opted_out', erased: 'cancelled' };

export interface EnrollmentView extends Enrollment {
  /** Active: the nodes its execution has pending now (usually one). */
  pendingNodes: string[];
}

export class EnrollmentService implements ContactExits {
  /** Published versions are immutable: validated definitions are cached by flow@version. */
  private readonly versions = new Map<string, Flow>();

  constructor(
    private readonly deps: { db: Database; runtime: Runtime; registry: NodeRegistry; log: Logger },
  ) {}

  repo(tenantId: string): EnrollmentRepository {
    return new EnrollmentRepository(this.deps.db, tenantId);
  }

  private async flowVersion(tenantId: string, flowId: string, version: number): Promise<Flow | null> {
    const key = `${tenantId}:${flowId}@${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const raw = await new FlowRepository(this.deps.db, this.deps.registry, tenantId).version(flowId, version);
    if (!raw) return null;
    const checked = validateFlow(raw, this.deps.registry);
    if (!checked.ok) return null;
    if (this.versions.size >= 500) this.versions.clear();
    this.versions.set(key, checked.flow);
    return checked.flow;
  }

  // ---- reading (with the poll-on-read catch-up) ----

  /**
   * Bring rows up to date with their executions: an active enrollment whose execution ended is
   * ended; an active one gets its live position. Returns the rows as they now are.
   */
  async refresh(tenantId: string, rows: Enrollment[]): Promise<EnrollmentView[]> {
    const repo = this.repo(tenantId);
    const active = rows.filter((e) => e.state === 'active' && e.executionId);
    const positions = await repo.executionStates(active.map((e) => e.executionId!));
    const now = Date.now();
    const out: EnrollmentView[] = [];
    for (const e of rows) {
      if (e.state !== 'active' || !e.executionId) {
        out.push({ ...e, pendingNodes: [] });
        continue;
      }
      const position = positions.get(e.executionId);
      let ended: Enrollment | null = null;
      if (position && TERMINAL.has(position.status)) ended = await endFromExecution(this.deps.db, tenantId, e, position.status, position.finishedAt);
      else if (!position && e.updatedAt < now - MISSING_EXECUTION_GRACE_MS) {
        ended = await repo.transition(e.id, { from: ['active'], to: 'failed', reason: 'execution_missing', actor: 'system', whileExecution: e.executionId });
      }
      if (ended) {
        out.push({ ...ended, pendingNodes: [] });
        continue;
      }
      if (position && !TERMINAL.has(position.status)) {
        const nodes = position.tokens.map((t) => t.node);
        out.push({ ...e, currentNode: nodes[0] ?? e.currentNode, pendingNodes: nodes });
      } else {
        // Ended meanwhile by another process, or its execution is not (yet) readable: read it again.
        const again = await repo.get(e.id);
        out.push({ ...(again ?? e), pendingNodes: [] });
      }
    }
    return out;
  }

  async get(tenantId: string, id: string): Promise<EnrollmentView | null> {
    const row = await this.repo(tenantId).get(id);
    if (!row) return null;
    return (await this.refresh(tenantId, [row]))[0]!;
  }

  async history(tenantId: string, id: string): Promise<EnrollmentHistoryEntry[]> {
    return this.repo(tenantId).history(id);
  }

  // ---- enroll ----

  async enroll(tenantId: string, flowId: string, targets: readonly EnrollTarget[], options: EnrollOptions): Promise<EnrollReport> {
    const flows = new FlowRepository(this.deps.db, this.deps.registry, tenantId);
    const record = await flows.get(flowId);
    if (!record) throw notFound('flow');
    if (record.publishedVersion === null) throw new ApiError(409, 'flow_not_published', 'publish the flow before enrolling contacts in it');
    if (record.status === 'paused') throw new ApiError(409, 'flow_paused', 'the flow is paused: resume it before enrolling contacts');
    const version = record.publishedVersion;
    const flow = await this.flowVersion(tenantId, flowId, version);
    if (!flow) throw new ApiError(409, 'flow_not_published', `version ${version} of the flow cannot be loaded`);
    const trigger = flow.nodes.find((n) => n.type === 'trigger.manual');
    if (!trigger) throw new ApiError(409, 'no_manual_trigger', 'enrollments start a flow at its trigger.manual node: add one to the flow');
    const allowReentry = flow.settings?.allowReentry === true;

    const contacts = new ContactRepository(this.deps.db, tenantId);
    const repo = this.repo(tenantId);
    const enrolled: EnrolledItem[] = [];
    const skipped: SkippedItem[] = [...(options.skipped ?? [])];
    const seen = new Set<string>();
    const where = (t: EnrollTarget): { contactId?: string; row?: number } => ({ ...(t.contactId ? { contactId: t.contactId } : {}), ...(t.row !== undefined ? { row: t.row } : {}) });

    // Ids in request order (uuid v7 is time-ordered), so lists show the contacts as they were named.
    const idOf = new Map(targets.map((t) => [t, uuidv7()] as const));
    const one = async (t: EnrollTarget): Promise<void> => {
      let contact: Contact | null = null;
      if (t.contactId) contact = await contacts.byId(t.contactId);
      else if (t.phone || t.email) contact = (await contacts.matching(t.phone ?? null, t.email ?? null)).find((c) => (t.phone ? c.phone === t.phone : c.email === t.email)) ?? null;
      if (!contact || (options.ownerId && contact.ownerId !== options.ownerId)) {
        skipped.push({ ...where(t), reason: 'not_found', message: 'no such contact in this tenant' });
        return;
      }
      const at = { contactId: contact.id, ...(t.row !== undefined ? { row: t.row } : {}) };
      if (seen.has(contact.id)) {
        skipped.push({ ...at, reason: 'duplicate', message: 'the contact is named more than once' });
        return;
      }
      seen.add(contact.id);
      if (contact.erasedAt !== null) {
        skipped.push({ ...at, reason: 'erased', message: 'the contact was erased' });
        return;
      }
      const executionId = uuidv7();
      const claim = () => repo.create({ id: idOf.get(t)!, flowId, flowVersion: version, contactId: contact.id, executionId, currentNode: trigger.id, allowReentry, enrolledBy: options.actor });
      let created = await claim();
      if (!created) {
        // The live enrollment may have ended without being noticed yet: catch up, then try once more.
        const live = await this.refresh(tenantId, await repo.live({ contactId: contact.id, flowId }));
        if (live.every((e) => !LIVE_STATES.includes(e.state) || e.allowReentry)) created = await claim();
        if (!created) {
          const current = (await repo.live({ contactId: contact.id, flowId })).find((e) => !e.allowReentry);
          skipped.push({ ...at, reason: 'already_enrolled', message: 'the contact is already in this flow', ...(current ? { enrollmentId: current.id } : {}) });
          return;
        }
      }
      try {
        await this.deps.runtime.startExecution({
          tenantId,
          flowId,
          flowVersion: version,
          flow,
          trigger: trigger.id,
          payload: { contact: contactFields(contact) },
          mode: ENROLLMENT_MODE,
          subject: contact.id,
          executionId,
          durable: true,
        });
      } catch (err) {
        this.deps.log.error({ err, enrollmentId: created.id }, 'starting an enrollment’s execution failed');
        await repo.transition(created.id, { from: ['active'], to: 'failed', reason: 'start_failed', actor: 'system', whileExecution: executionId }).catch(() => null);
        skipped.push({ ...at, reason: 'start_failed', message: 'the flow could not be started for this contact' });
        return;
      }
      // An exit (a reply, an opt-out) that came between the claim and the start found no execution to cancel.
      const after = await repo.get(created.id);
      if (after && LIVE_STATES.includes(after.state) === false && !after.endReason?.startsWith('execution_')) {
        await this.deps.runtime.cancel(executionId, `enrollment ended: ${after.endReason ?? after.state}`);
        skipped.push({ ...at, reason: after.state, message: `the enrollment ended while it started (${after.endReason ?? after.state})`, enrollmentId: created.id });
        return;
      }
      enrolled.push({ enrollmentId: created.id, contactId: contact.id, executionId, ...(t.row !== undefined ? { row: t.row } : {}) });
    };

    // A few at a time; targets naming the same contact the same way share a lane and run in
    // request order, so "duplicate" names the later one.
    const lanes = new Map<string, EnrollTarget[]>();
    for (const t of targets) {
      const key = t.contactId ? `id:${t.contactId}` : t.phone ? `phone:${t.phone}` : `email:${t.email ?? ''}`;
      const lane = lanes.get(key);
      if (lane) lane.push(t);
      else lanes.set(key, [t]);
    }
    const ordered = [...lanes.values()];
    let next = 0;
    const workers = Array.from({ length: Math.min(ENROLL_CONCURRENCY, ordered.length) }, async () => {
      while (next < ordered.length) {
        const lane = ordered[next++]!;
        for (const t of lane) await one(t);
      }
    });
    await Promise.all(workers);
    const byPosition = (a: { row?: number }, b: { row?: number }) => (a.row ?? 0) - (b.row ?? 0);
    if (targets.some((t) => t.row !== undefined)) {
      enrolled.sort(byPosition);
      skipped.sort(byPosition);
    } else {
      const index = new Map<string, number>();
      targets.forEach((t, i) => {
        if (t.contactId && !index.has(t.contactId)) index.set(t.contactId, i);
      });
      enrolled.sort((a, b) => (index.get(a.contactId) ?? 0) - (index.get(b.contactId) ?? 0));
    }
    // Step analytics: one flow-level counter per version and Riyadh day, bumped once per batch.
    if (enrolled.length > 0) await this.deps.db.sql.transaction((q) => new AnalyticsRepository(this.deps.db, tenantId).enrolled(q, flowId, version, Date.now(), enrolled.length));
    await new AuditRepository(this.deps.db, tenantId).record({
      actor: options.actor,
      action: 'enrollments.create',
      target: flowId,
      details: { flowVersion: version, enrolled: enrolled.length, skipped: skipped.length, source: options.source ?? 'api' },
      requestId: options.requestId ?? null,
    });
    return { flowId, flowVersion: version, enrolled, skipped };
  }

  // ---- pause, resume, unenroll ----

  private async mustGet(tenantId: string, id: string): Promise<EnrollmentView> {
    const e = await this.get(tenantId, id);
    if (!e) throw notFound('enrollment');
    return e;
  }

  private stateConflict(e: Enrollment, wanted: string): ApiError {
    return new ApiError(409, 'enrollment_state', `the enrollment is ${e.state}; only ${wanted} enrollments can be changed this way`);
  }

  /** Record a user's transition and its audit entry in one transaction. */
  private async transitionAudited(tenantId: string, id: string, t: Parameters<EnrollmentRepository['transition']>[1], action: string, requestId: string | null | undefined): Promise<Enrollment | null> {
    let result: Enrollment | null = null;
    await this.deps.db.sql.transaction(async (q) => {
      result = await this.repo(tenantId).transition(id, t, q);
      if (result) await new AuditRepository(this.deps.db, tenantId).record({ actor: t.actor, action, target: id, details: { flowId: result.flowId, contactId: result.contactId, state: result.state }, requestId: requestId ?? null }, q);
    });
    return result;
  }

  async pause(tenantId: string, id: string, actor: string, requestId?: string | null): Promise<EnrollmentView> {
    const e = await this.mustGet(tenantId, id);
    if (e.state !== 'active' || !e.executionId) throw this.stateConflict(e, 'active');
    const executionId = e.executionId;
    const repo = this.repo(tenantId);
    // A pause by hand stays until resumed by hand (pauseUntil sets the time after pausing).
    await repo.setResumeAt(id, null);
    // What was pending before the cancellation: steps that had not started leave no row.
    const before = (await repo.executionStates([executionId])).get(executionId);
    const paused = await this.transitionAudited(tenantId, id, { from: ['active'], to: 'paused', reason: 'paused', actor, whileExecution: executionId, currentNode: before?.tokens[0]?.node ?? e.currentNode }, 'enrollment.pause', requestId);
    if (!paused) throw this.stateConflict((await repo.get(id)) ?? e, 'active');
    await this.deps.runtime.cancel(executionId, 'enrollment paused');
    const history = await new ExecutionRepository(this.deps.db, tenantId).history(executionId);
    if (history && (history.status === 'succeeded' || history.status === 'failed')) {
      // It finished before the pause reached it.
      const to = ENDED_BY_EXECUTION[history.status]!;
      await repo.transition(id, { from: ['paused'], to, reason: `execution_${history.status}`, actor: 'system', whileExecution: executionId });
      throw new ApiError(409, 'enrollment_ended', `the enrollment’s execution ${history.status} before it could be paused`);
    }
    const plan = history && history.status === 'cancelled' ? planOf(executionId, history.steps, before) : null;
    if (!plan) {
      await repo.transition(id, { from: ['paused'], to: 'failed', reason: 'pause_failed', actor: 'system', whileExecution: executionId });
      throw new ApiError(409, 'pause_failed', 'the execution’s position could not be kept; the enrollment has ended');
    }
    await repo.setResumePlan(id, JSON.stringify(plan), plan.steps.find((s) => s.seq === plan.fromSeq)?.node ?? null);
    return (await this.get(tenantId, id))!;
  }

  async resume(tenantId: string, id: string, actor: string, requestId?: string | null): Promise<EnrollmentView> {
    const e = await this.mustGet(tenantId, id);
    if (e.state !== 'paused') throw this.stateConflict(e, 'paused');
    const repo = this.repo(tenantId);
    const text = await repo.resumePlan(id);
    if (!text) throw new ApiError(409, 'resume_unavailable', 'the pause is still being recorded: try again in a moment');
    const plan = JSON.parse(text) as ResumePlan;
    const flow = await this.flowVersion(tenantId, e.flowId, e.flowVersion);
    const executionId = uuidv7();
    const resumed = await this.transitionAudited(tenantId, id, { from: ['paused'], to: 'active', reason: 'resumed', actor, executionId }, 'enrollment.resume', requestId);
    if (!resumed) throw this.stateConflict((await repo.get(id)) ?? e, 'paused');
    const trigger = plan.steps.find((s) => s.seq === 0);
    try {
      if (!flow) throw new ReplayUnavailable('history_diverged', `flow version ${e.flowVersion} no longer exists`);
      await this.deps.runtime.startExecution({
        tenantId,
        flowId: e.flowId,
        flowVersion: e.flowVersion,
        flow,
        trigger: trigger?.node ?? '',
        payload: trigger?.input ?? null,
        mode: ENROLLMENT_MODE,
        subject: e.contactId,
        executionId,
        durable: true,
        replay: { of: plan.of, plan: { steps: plan.steps, fromSeq: plan.fromSeq } },
      });
    } catch (err) {
      if (err instanceof ReplayUnavailable) {
        await repo.transition(id, { from: ['active'], to: 'failed', reason: 'resume_unavailable', actor: 'system', whileExecution: executionId });
        throw new ApiError(409, 'resume_unavailable', `the enrollment cannot continue from where it was paused: ${err.message}`);
      }
      // Nothing started: back to paused, keeping the position.
      await repo.transition(id, { from: ['active'], to: 'paused', reason: 'resume_failed', actor: 'system', whileExecution: executionId, executionId: plan.of, resumePlan: text }).catch(() => null);
      throw err;
    }
    return (await this.get(tenantId, id))!;
  }

  async unenroll(tenantId: string, id: string, actor: string, requestId?: string | null): Promise<EnrollmentView> {
    const e = await this.mustGet(tenantId, id);
    if (!LIVE_STATES.includes(e.state)) throw this.stateConflict(e, 'active or paused');
    const ended = await this.transitionAudited(tenantId, id, { from: LIVE_STATES, to: 'cancelled', reason: 'unenrolled', actor, currentNode: e.currentNode }, 'enrollment.unenroll', requestId);
    if (!ended) throw this.stateConflict((await this.repo(tenantId).get(id)) ?? e, 'active or paused');
    if (ended.executionId) await this.deps.runtime.cancel(ended.executionId, 'unenrolled');
    return { ...ended, pendingNodes: [] };
  }

  // ---- Out of office ----

  /** ContactExits.pauseUntil: pause (the usual pause: cancel + remember) and resume at `until`. */
  async pauseUntil(tenantId: string, contactId: string, until: number): Promise<number> {
    const repo = this.repo(tenantId);
    const live = (await this.refresh(tenantId, await repo.live({ contactId }))).filter((e) => e.state === 'active' || e.state === 'paused');
    let paused = 0;
    for (const e of live) {
      const flow = await this.flowVersion(tenantId, e.flowId, e.flowVersion);
      if (flow && !exitAffects(flow, 'replied')) continue;
      try {
        if (e.state === 'active') await this.pause(tenantId, e.id, OUT_OF_OFFICE_ACTOR);
        else if (e.resumeAt === null) continue; // paused by a person: stays paused
        await repo.setResumeAt(e.id, until);
        paused++;
      } catch (err) {
        this.deps.log.error({ err, enrollmentId: e.id }, 'pausing an enrollment for an out-of-office reply failed');
      }
    }
    return paused;
  }

  /** Resume the paused enrollments whose return date has come (every tenant's). Returns how many resumed. */
  async resumeDue(now = Date.now()): Promise<number> {
    let resumed = 0;
    for (const { tenantId, id } of await dueEnrollmentResumes(this.deps.db, now)) {
      const repo = this.repo(tenantId);
      await repo.setResumeAt(id, null);
      try {
        await this.resume(tenantId, id, OUT_OF_OFFICE_ACTOR);
        resumed++;
      } catch (err) {
        this.deps.log.error({ err, enrollmentId: id }, 'resuming an enrollment after an out-of-office reply failed');
      }
    }
    return resumed;
  }

  // ---- ContactExits ----

  async exit(tenantId: string, contactId: string, reason: ExitReason, channel?: string): Promise<number> {
    const repo = this.repo(tenantId);
    const live = (await this.refresh(tenantId, await repo.live({ contactId }))).filter((e) => LIVE_STATES.includes(e.state));
    const why = channel ? `${reason}:${channel}`.slice(0, 64) : reason;
    let ended = 0;
    for (const e of live) {
      const flow = await this.flowVersion(tenantId, e.flowId, e.flowVersion);
      if (flow && !exitAffects(flow, reason, channel)) continue;
      const done = await repo.transition(e.id, { from: LIVE_STATES, to: EXIT_STATE[reason], reason: why, actor: 'system', currentNode: e.currentNode });
      if (!done) continue;
      ended++;
      if (e.state === 'active' && done.executionId) {
        try {
          await this.deps.runtime.cancel(done.executionId, `enrollment ended: ${why}`);
        } catch (err) {
          this.deps.log.error({ err, executionId: done.executionId, enrollmentId: e.id }, 'cancelling an ended enrollment’s execution failed');
        }
      }
    }
    return ended;
  }
}

/**
 * The resume plan of a cancelled execution: the step the cancellation interrupted (or the first
 * that was pending and had not started: it has no step row, so one is made from the token) and
 * the history before it.
 */
function planOf(executionId: string, stored: HistoryStep[], before: ExecutionPosition | undefined): ResumePlan | null {
  const steps = [...stored];
  const known = new Set(steps.map((s) => s.seq));
  for (const t of before?.tokens ?? []) {
    if (known.has(t.seq)) continue;
    steps.push({ seq: t.seq, node: t.node, attempt: t.attempt, status: 'cancelled', port: null, input: t.input, output: null, logs: [], startedAt: null, finishedAt: null });
  }
  let fromSeq: number;
  try {
    fromSeq = replayStepOf(executionId, steps);
  } catch {
    return null;
  }
  // Replay reads the trigger step, the succeeded steps before the one it runs, and that one.
  const kept = steps.filter((s) => s.seq === 0 || s.seq === fromSeq || (s.status === 'succeeded' && s.seq < fromSeq));
  return { of: executionId, fromSeq, steps: kept };
}
