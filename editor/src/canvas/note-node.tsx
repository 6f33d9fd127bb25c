// A sticky note: free text on the canvas, stored in the flow's meta.notes (never run).
import { memo, useState } from 'react';
import { NodeResizer, useReactFlow, type NodeProps } from '@xyflow/react';
import { useCanvasInfo } from './canvas-context';
import type { NoteNode } from './graph';
import { useI18n } from '../i18n/i18n';

function NoteNodeImpl({ id, data, selected }: NodeProps<NoteNode>) {
  const { readOnly, dir } = useCanvasInfo();
  const { t } = useI18n();
  const { updateNodeData } = useReactFlow();
  const [editing, setEditing] = useState(false);
  return (
    <div className={`note-node${selected ? ' is-selected' : ''}`} dir={dir} data-note-id={id}>
      {!readOnly && <NodeResizer isVisible={selected} minWidth={140} minHeight={80} />}
      {editing && !readOnly ? (
        <textarea
          className="note-text nodrag nowheel"
          aria-label={t('canvas.noteText')}
          autoFocus
          defaultValue={data.text}
          onBlur={(e) => {
            setEditing(false);
            if (e.target.value !== data.text) updateNodeData(id, { text: e.target.value });
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
            e.stopPropagation();
          }}
        />
      ) : (
        <div className="note-text" onDoubleClick={() => setEditing(true)} title={readOnly ? undefined : t('canvas.noteEditHint')}>
          {data.text || <span className="muted">{t('canvas.noteEmpty')}</span>}
        </div>
      )}
    </div>
  );
}

export const NoteCard = memo(NoteNodeImpl);
