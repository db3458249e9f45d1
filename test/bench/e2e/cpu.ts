/**
 * CPU per process role, from /proc: sampled before and after a measured phase, divided by the
 * phase's requests. A role hosted by the same process as an earlier role (the site agents live in
 * the worker process today) is reported once, under the first role, and named in `shared`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs } from './proc';

/** our own processes, then the infrastructure; `sites` (the emulators) and `client` (this bench) are outside the total */
export const ROLES = ['api', 'worker', 'agent', 'temporal', 'redis', 'sites', 'client'] as const;
export type Role = (typeof ROLES)[number];
const FEDERA_ROLES: readonly Role[] = ['api', 'worker', 'agent'];
const TOTAL_ROLES: readonly Role[] = [...FEDERA_ROLES, 'temporal', 'redis'];

export type CpuSnapshot = ReadonlyMap<number, number>;
export type CpuPerRequest = Record<Role | 'federa' | 'total', number | null>;

export class CpuSampler {
  private readonly pids: Partial<Record<Role, number>> = {};
  /** roles reported under another role's figure: role → the role that holds its CPU */
  readonly shared: Partial<Record<Role, Role>> = {};

  constructor(pids: Partial<Record<Role, number | undefined>>) {
    const owner = new Map<number, Role>();
    for (const role of ROLES) {
      const pid = pids[role];
      if (pid === undefined) continue;
      const first = owner.get(pid);
      if (first) this.shared[role] = first;
      else {
        owner.set(pid, role);
        this.pids[role] = pid;
      }
    }
  }

  snapshot(): CpuSnapshot {
    const snap = new Map<number, number>();
    for (const pid of Object.values(this.pids)) {
      const ms = cpuMs(pid);
      if (ms !== undefined) snap.set(pid, ms);
    }
    return snap;
  }

  /** CPU ms each role used between two snapshots (null: role not measured or shared) */
  used(before: CpuSnapshot, after: CpuSnapshot): Record<Role, number | null> {
    return Object.fromEntries(
      ROLES.map((role) => {
        const pid = this.pids[role];
        const a = pid === undefined ? undefined : before.get(pid);
        const b = pid === undefined ? undefined : after.get(pid);
        return [role, a === undefined || b === undefined ? null : b - a];
      }),
    ) as Record<Role, number | null>;
  }

  /**
   * Waits until the stack is idle (work finishing after the last response, such as reconciling
   * usage, belongs to the phase that caused it): our processes, Temporal and Redis together below
   * 10% of one core over 250 ms, or 5 s at most.
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + 5_000;
    let last = this.snapshot();
    while (Date.now() < deadline) {
      await sleep(250);
      const now = this.snapshot();
      const used = this.used(last, now);
      last = now;
      if (sumOf(used, TOTAL_ROLES) < 25) return;
    }
  }
}

function sumOf(used: Record<Role, number | null>, roles: readonly Role[]): number {
  return roles.reduce((sum, r) => sum + (used[r] ?? 0), 0);
}

/** CPU used per request, with `federa` (our processes) and `total` (ours + Temporal + Redis) */
export function perRequest(used: Record<Role, number | null>, requests: number): CpuPerRequest {
  const round = (x: number) => Math.round((x / requests) * 100) / 100;
  const out = Object.fromEntries(ROLES.map((r) => [r, used[r] === null ? null : round(used[r])]));
  return {
    ...out,
    federa: round(sumOf(used, FEDERA_ROLES)),
    total: round(sumOf(used, TOTAL_ROLES)),
  } as CpuPerRequest;
}

/** element-wise sum of role usages (several phases counted as one) */
export function addUsage(
  a: Record<Role, number | null>,
  b: Record<Role, number | null>,
): Record<Role, number | null> {
  return Object.fromEntries(
    ROLES.map((r) => [r, a[r] === null && b[r] === null ? null : (a[r] ?? 0) + (b[r] ?? 0)]),
  ) as Record<Role, number | null>;
}
