/**
 * What the ledger's scripts answer. A hold's answer (every reserve's and post's) is one compact line,
 * `status|state|amount|expiresAt|posted|overage|recordId|tokens|apiKeyId|available|flags|seq`
 * (prelude.lua's hold_reply): cheaper to build in Lua and to read here than a JSON object, and none
 * of its fields can hold a '|' (request and key ids exclude it, the rest are digits, states, stream
 * ids and flag names). Refusals that carry no hold stay JSON objects (they start with '{').
 */
import type { HoldState } from './ledger';

export interface RawReply {
  status: string;
  requestId: string;
  state: HoldState;
  amount: string;
  expiresAt: string;
  posted: string;
  overage: string;
  recordId: string;
  tokens: string;
  apiKeyId?: string;
  available?: string;
  retryAfterMs?: number;
  budget?: string;
  flags?: string[] | Record<string, never>;
  argument?: string;
  /** SCRIPT_ERROR: the Redis error one operation of a batch met (batch.lua) */
  message?: string;
}

/** Decode a script's answer; `requestId` is the id the script was called with (a line omits it). */
export function decodeReply(reply: unknown, requestId: string): RawReply {
  const text = String(reply);
  if (text.charCodeAt(0) === 123 /* '{' */) return JSON.parse(text) as RawReply;
  const f = text.split('|');
  if (f.length !== 12) throw new Error(`unreadable ledger reply: ${text.slice(0, 80)}`);
  return {
    status: f[0]!,
    requestId,
    state: f[1] as HoldState,
    amount: f[2]!,
    expiresAt: f[3]!,
    posted: f[4]!,
    overage: f[5]!,
    recordId: f[6]!,
    tokens: f[7]!,
    apiKeyId: f[8]!,
    available: f[9]!,
    flags: f[10] === '' ? [] : f[10]!.split(','),
  };
}

/** Just the status of a script's answer (durability decides from it whether to wait for replicas). */
export function replyStatus(reply: unknown): string | undefined {
  const text = String(reply);
  if (text.charCodeAt(0) === 123) return (JSON.parse(text) as { status?: string }).status;
  const bar = text.indexOf('|');
  return bar < 0 ? undefined : text.slice(0, bar);
}
