/**
 * What routing tells an observer (metrics, in the apps): the site a routing decision chose, and a
 * request refused because no site within its residency can serve it. Plain values, so workflows
 * depend on no metrics library; an observer that throws never fails a request.
 */
export interface RouteObserver {
  routed(target: { readonly siteId: string; readonly jurisdiction: string }): void;
  /** the stable code of a residency refusal (NO_ELIGIBLE_SITE) */
  residencyRefused(code: string): void;
}

/** Calls the observer without letting it fail the activity. */
export function tellRouteObserver(
  observer: RouteObserver | undefined,
  call: (o: RouteObserver) => void,
): void {
  if (!observer) return;
  try {
    call(observer);
  } catch {
    // metrics are advisory
  }
}
