// What the contacts pages share: the consent vocabulary, labels for sources and actors, and
// API problems shown as localized field errors.
import { useEffect, useId, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { contactsApi, problemsByField, type ConsentVocabulary } from '../api/contacts';
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { useProblemText } from '../ui/problem-text';

/** A message key's text, or the raw value when there is none (a channel or source we do not name). */
export function useLabel() {
  const { t } = useI18n();
  return (prefix: string, value: string | null | undefined) => {
    if (!value) return '—';
    const key = `${prefix}.${value}` as MessageKey;
    return t(key) === key ? value : t(key);
  };
}

let vocabulary: Promise<ConsentVocabulary> | null = null;

/** GET /consent-vocabulary, asked once per page load (it changes only with a release). */
export function useVocabulary(): ConsentVocabulary | null {
  const [vocab, setVocab] = useState<ConsentVocabulary | null>(null);
  useEffect(() => {
    let live = true;
    vocabulary ??= contactsApi.vocabulary().catch((err: unknown) => {
      vocabulary = null;
      throw err;
    });
    vocabulary.then(
      (v) => live && setVocab(v),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return vocab;
}

/** Member names by tenant (GET /users, for those who may list users), asked once per page load. */
const memberNames = new Map<string, Promise<Record<string, string>>>();

/** Who did something, from an actor string (`user:<id>`, `apikey:<id>`, `system`, `cli`). */
export function useActorName(): (actor: string) => string {
  const { t } = useI18n();
  const { me, can } = useSession();
  const mayListUsers = can('users.read');
  const tenantId = me?.tenant.id ?? '';
  const [members, setMembers] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!mayListUsers || !tenantId) return;
    let live = true;
    let names = memberNames.get(tenantId);
    if (!names) {
      names = contactsApi.members().then((m) => Object.fromEntries(m.items.map((u) => [u.id, u.name])));
      memberNames.set(tenantId, names);
      names.catch(() => memberNames.delete(tenantId));
    }
    names.then(
      (n) => live && setMembers(n),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [mayListUsers, tenantId]);
  return (actor) => {
    const [kind, id = ''] = actor.split(/:(.*)/s);
    if (kind === 'user') {
      if (me && id === me.user.id) return t('contacts2.actor.you', { name: me.user.name });
      return members[id] ?? t('contacts2.actor.user', { id: id.slice(0, 8) });
    }
    if (kind === 'apikey') return t('contacts2.actor.apiKey', { id: id.slice(0, 8) });
    if (actor === 'system') return t('contacts2.actor.system');
    if (actor === 'cli') return t('contacts2.actor.cli');
    return actor;
  };
}

/**
 * An error of a form's call split in two: the problems of the fields the form shows (by field),
 * and a sentence for everything else (other fields, an error without details, a network failure).
 */
export function useErrorSplit(): (err: unknown, shown: readonly string[]) => { problems: Record<string, Problem>; other: string } {
  const text = useProblemText();
  return (err, shown) => {
    const problems: Record<string, Problem> = {};
    const others: string[] = [];
    for (const [field, p] of Object.entries(problemsByField(err))) {
      if (shown.includes(field)) problems[field] = p;
      else others.push(text(p));
    }
    if (err instanceof ApiError && err.details.length === 0) others.push(text({ code: err.code, message: err.message }));
    else if (!(err instanceof ApiError)) others.push((err as Error).message);
    return { problems, other: others.join(' ') };
  };
}

/** The error under a field; the field points at it with aria-describedby. */
export function FieldError({ id, problem }: { id: string; problem: Problem | undefined }) {
  const text = useProblemText();
  if (!problem) return null;
  return (
    <span id={id} className="field-error" role="alert" data-code={problem.code}>
      {text(problem)}
    </span>
  );
}

/** The props a field's control gets from <Field>: its id, and its hint and error as description. */
export interface ControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

/**
 * A labelled control with an optional hint and the API's problem under it. The label names the
 * control; the hint and the error describe it (aria-describedby), so a screen reader reads the
 * name alone, then the rest.
 */
export function Field({ label, hint, problem, testId, children }: { label: ReactNode; hint?: string; problem: Problem | undefined; testId?: string; children: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [hint ? hintId : '', problem ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div className="field" data-testid={testId}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(problem ? { 'aria-invalid': true } : {}) })}
      {hint && (
        <span id={hintId} className="hint">
          {hint}
        </span>
      )}
      <FieldError id={errorId} problem={problem} />
    </div>
  );
}

/** Today's date in Riyadh as YYYY-MM-DD, and the same `months` earlier plus one day. */
export function riyadhDates(now: number, months: number): { today: string; earliest: string } {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Riyadh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const earliest = new Date(Date.UTC(y, m - 1 - months, d + 1)).toISOString().slice(0, 10);
  return { today, earliest };
}
