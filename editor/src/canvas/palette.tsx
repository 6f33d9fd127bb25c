// The node palette, built from GET /node-types: grouped by category, searchable in both
// languages. Drag an item onto the canvas, or press Enter/Space (or click) to add it after the
// selected node.
import { useMemo, useState, type DragEvent } from 'react';
import type { NodeTypeInfo } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { Icon } from '../ui/icons';
import { PALETTE_MIME } from './flow-canvas';

const CATEGORY_ORDER = ['trigger', 'logic', 'data', 'time', 'ai', 'sales', 'compliance', 'messaging', 'flow', 'integration'];

export function Palette({ types, onAdd }: { types: NodeTypeInfo[]; onAdd: (info: NodeTypeInfo) => void }) {
  const { t, text } = useI18n();
  const [q, setQ] = useState('');
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const match = (n: NodeTypeInfo) =>
      !needle || [n.type, n.label.ar, n.label.en, n.description.ar, n.description.en, n.category].some((s) => s.toLowerCase().includes(needle));
    const byCat = new Map<string, NodeTypeInfo[]>();
    for (const n of types.filter(match)) byCat.set(n.category, [...(byCat.get(n.category) ?? []), n]);
    const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
    return [...byCat.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  }, [types, q]);
  const categoryLabel = (c: string) => {
    const key = `category.${c}` as MessageKey;
    const label = t(key);
    return label === key ? c : label;
  };
  const onDragStart = (e: DragEvent, info: NodeTypeInfo) => {
    e.dataTransfer.setData(PALETTE_MIME, info.type);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <aside className="palette" aria-labelledby="palette-title" data-testid="palette">
      <h2 id="palette-title">{t('palette.title')}</h2>
      <label className="field">
        <span className="visually-hidden">{t('palette.search')}</span>
        <input type="search" placeholder={t('palette.search')} aria-label={t('palette.search')} value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      <p className="muted small" id="palette-hint">
        {t('palette.hint')}
      </p>
      {groups.length === 0 && <p className="empty">{t('palette.empty')}</p>}
      {groups.map(([category, items]) => (
        <section key={category} className="palette-group" aria-label={categoryLabel(category)}>
          <h3>{categoryLabel(category)}</h3>
          <ul>
            {items.map((info) => (
              <li key={info.type}>
                <button
                  type="button"
                  className="palette-item"
                  draggable
                  onDragStart={(e) => onDragStart(e, info)}
                  onClick={() => onAdd(info)}
                  aria-describedby="palette-hint"
                  title={text(info.description)}
                  data-node-type={info.type}
                >
                  <span className={`node-icon cat-${info.category}`}>
                    <Icon name={info.icon} size={16} />
                  </span>
                  <span className="palette-text">
                    {/* "Add" for screen readers; the name stays the visible text (WCAG 2.5.3 label in name). */}
                    <span className="visually-hidden">{t('palette.add')} </span>
                    <span className="palette-label">{text(info.label)}</span>
                    <span className="palette-type" dir="ltr">
                      {info.type}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
