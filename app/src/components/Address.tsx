/** An address or hash, shortened for reading, whole in its title and for copying. */
export function Address({ value, label }: { value: string; label?: string }) {
  const short = value.length > 14 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value;
  return (
    <code className="address" title={value} aria-label={label ? `${label} ${value}` : value}>
      {short}
    </code>
  );
}
