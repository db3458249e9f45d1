/** A statement's lifecycle status, coloured by what it asks of the reader. */
export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'accepted' || status === 'resolved' ? 'ok' : status === 'disputed' ? 'bad' : 'warn';
  return (
    <span className={`badge ${tone}`} data-testid="statement-status">
      {status}
    </span>
  );
}
