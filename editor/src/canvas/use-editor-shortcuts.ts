// Keyboard shortcuts of the editor. Typing in a field keeps the field's own keys (Ctrl+Z in an
// input undoes the text, not the canvas). Delete/Backspace are React Flow's.
import { useEffect, useRef } from 'react';
import type { FlowGraph } from './use-flow-graph';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || Boolean(el.closest('dialog'));
}

export function useEditorShortcuts(opts: { enabled: boolean; readOnly: boolean; graph: FlowGraph; fit: () => void; onPasted: (n: number) => void }) {
  const latest = useRef(opts);
  latest.current = opts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { enabled, readOnly, graph, fit, onPasted } = latest.current;
      if (!enabled || typing(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (e.key === 'Escape') {
        graph.select(null);
        return;
      }
      if (e.shiftKey && e.code === 'Digit1') {
        e.preventDefault();
        fit();
        return;
      }
      if (!mod) return;
      if (key === 'a') {
        e.preventDefault();
        graph.selectAll();
      } else if (key === 'c') {
        graph.copySelection();
      } else if (readOnly) {
        return;
      } else if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        graph.undo();
      } else if ((key === 'z' && e.shiftKey) || key === 'y') {
        e.preventDefault();
        graph.redo();
      } else if (key === 'v') {
        e.preventDefault();
        const n = graph.paste();
        if (n) onPasted(n);
      } else if (key === 'd') {
        e.preventDefault();
        if (graph.copySelection()) onPasted(graph.paste());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
