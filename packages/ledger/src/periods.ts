/** Billing periods are named by their start in UTC: '2026-11' (month), '2026-11-27' (day), '2026-11-27T13' (hour). */
export type BillingPeriod = 'month' | 'day' | 'hour';

export function periodId(period: BillingPeriod, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  switch (period) {
    case 'month':
      return iso.slice(0, 7);
    case 'day':
      return iso.slice(0, 10);
    case 'hour':
      return iso.slice(0, 13);
  }
}
