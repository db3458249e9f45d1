/**
 * Shown beside a statement's status once its dispute window has closed: the amounts are binding and
 * no party may dispute them any more (accepting is still possible; it changes nothing).
 */
export function FinalBadge({ final }: { final: boolean }) {
  return final ? (
    <span className="badge ok" data-testid="statement-final" title="The dispute window has closed">
      final
    </span>
  ) : null;
}
