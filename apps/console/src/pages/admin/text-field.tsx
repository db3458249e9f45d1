/** One labelled text input with its hint or its error, wired for screen readers. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  inputMode,
  disabled,
  type,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  inputMode?: 'decimal' | 'numeric' | 'text';
  disabled?: boolean;
  type?: 'text' | 'datetime-local';
}) {
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={id}
        type={type ?? 'text'}
        value={value}
        inputMode={inputMode}
        disabled={disabled}
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {hint && !error ? (
        <small id={`${id}-hint`} className="admin-hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
