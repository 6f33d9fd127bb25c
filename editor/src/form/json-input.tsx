// A text box holding any JSON value: what parses as JSON is stored as that value, anything
// else as a plain string (so `42` is a number, `hello` a string, `"42"` the string "42").
import { useEffect, useRef, useState } from 'react';

export function parseLoose(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function showLoose(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    // A string that would parse as something else is shown quoted, so it stays a string.
    return parseLoose(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value, null, typeof value === 'object' && value !== null ? 2 : undefined);
}

export function JsonInput(props: { id: string; value: unknown; onChange: (v: unknown) => void; readOnly?: boolean; describedBy?: string; label?: string }) {
  const { id, value, onChange, readOnly, describedBy, label } = props;
  const [text, setText] = useState(() => showLoose(value));
  const last = useRef<unknown>(value);
  useEffect(() => {
    // Follow changes made elsewhere (undo), not our own echo.
    if (JSON.stringify(value) !== JSON.stringify(last.current)) {
      last.current = value;
      setText(showLoose(value));
    }
  }, [value]);
  return (
    <textarea
      id={id}
      className="form-control json-input"
      dir="ltr"
      spellCheck={false}
      rows={Math.min(8, Math.max(1, text.split('\n').length))}
      value={text}
      readOnly={readOnly}
      aria-label={label}
      aria-describedby={describedBy}
      onChange={(e) => {
        setText(e.target.value);
        const next = parseLoose(e.target.value);
        last.current = next;
        onChange(next);
      }}
    />
  );
}
