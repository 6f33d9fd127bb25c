// JSON shown as indented text (always left-to-right, it is code).
export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = value === undefined ? '—' : JSON.stringify(value, null, 2);
  return (
    <pre className="json-view" dir="ltr" tabIndex={0} aria-label={label}>
      {text}
    </pre>
  );
}
