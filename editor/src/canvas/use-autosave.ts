// Draft autosave: a debounced PUT /flows/:id/draft with the revision it started from. The
// answer brings the new revision and the draft's problems; 409 revision_conflict means someone
// else saved first: the caller reloads and tells the user.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { FlowDetail, FlowDoc } from '../api/types';

export type SaveStatus = 'saved' | 'saving' | 'error' | 'conflict';
const DEBOUNCE_MS = 700;

export function useAutosave(opts: {
  flowId: string;
  revision: number;
  initialJson: string;
  enabled: boolean;
  currentDoc: () => FlowDoc;
  changeKey: unknown;
  onSaved: (answer: FlowDetail, sent: FlowDoc) => void;
  onConflict: () => void;
}) {
  const { flowId, enabled, changeKey } = opts;
  const state = useRef({ revision: opts.revision, lastJson: opts.initialJson, inflight: null as Promise<boolean> | null, conflicted: false });
  const latest = useRef(opts);
  latest.current = opts;
  const [status, setStatus] = useState<SaveStatus>('saved');
  const [error, setError] = useState('');

  /** Saves now if the document changed; resolves false when it could not be saved. */
  const saveNow = useCallback(async (): Promise<boolean> => {
    if (!latest.current.enabled) return true;
    while (state.current.inflight) await state.current.inflight;
    // After a conflict this copy is stale: the page reloads the flow, nothing more is saved from it.
    if (state.current.conflicted) return false;
    const doc = latest.current.currentDoc();
    const json = JSON.stringify(doc);
    if (json === state.current.lastJson) return true;
    setStatus('saving');
    const run = (async () => {
      try {
        const answer = await api.put<FlowDetail>(`/flows/${encodeURIComponent(flowId)}/draft`, { revision: state.current.revision, draft: doc });
        state.current.revision = answer.revision;
        state.current.lastJson = json;
        latest.current.onSaved(answer, doc);
        setStatus('saved');
        setError('');
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          state.current.conflicted = true;
          setStatus('conflict');
          latest.current.onConflict();
        } else {
          setStatus('error');
          setError((err as Error).message);
        }
        return false;
      } finally {
        state.current.inflight = null;
      }
    })();
    state.current.inflight = run;
    return run;
  }, [flowId]);

  /** After a reload: the server's revision and document are the new baseline. */
  const rebase = useCallback((revision: number, json: string) => {
    state.current.revision = revision;
    state.current.lastJson = json;
    state.current.conflicted = false;
    setStatus('saved');
  }, []);

  useEffect(() => {
    if (!enabled) return;
    const timer = setTimeout(() => void saveNow(), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [changeKey, enabled, saveNow]);

  // Leaving the page (another route, or closing the tab) saves what is pending.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (latest.current.enabled && JSON.stringify(latest.current.currentDoc()) !== state.current.lastJson) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      window.removeEventListener('beforeunload', warn);
      void saveNow();
    };
  }, [saveNow]);

  return { status, error, saveNow, rebase, revision: () => state.current.revision };
}
