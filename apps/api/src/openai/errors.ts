/**
 * Errors on the /v1 surface in OpenAI's shape, `{error: {message, type, param, code}}`, with the
 * status OpenAI's clients expect (they pick their exception class by status). `code` is Federa's
 * stable code (also in the `x-federa-code` header), except for an unknown model, where OpenAI's
 * own `model_not_found` is what clients test for. Internal failures say nothing about our internals:
 * only a reference under which the cause was logged.
 */
import { randomUUID } from 'node:crypto';
import { ERROR_CODES, FederaError } from '@federa/domain';
import { storeUnavailableOr } from '@federa/redis';
import { domainErrorOfWorkflow } from '../errors';

/** Codes the /v1 surface gives besides the domain's (HTTP-level conditions, like tRPC's). */
export type SurfaceCode =
  | 'MALFORMED_JSON'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  /** this API process has no data plane configured: it cannot serve /v1 completions or embeddings */
  | 'DATA_PLANE_UNAVAILABLE';

/** An error the surface raises itself, with OpenAI's `param` when one parameter is at fault. */
export class OpenAiHttpError extends Error {
  override readonly name = 'OpenAiHttpError';
  constructor(
    readonly status: number,
    readonly code: SurfaceCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** A domain error about one parameter: keeps the stable code, adds OpenAI's `param`. */
export function paramError(code: keyof typeof ERROR_CODES, message: string, param: string): FederaError {
  return new FederaError(code, message, { param });
}

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string;
  };
}

export interface RenderedError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: OpenAiErrorBody;
}

/** OpenAI's `type` for a status (what its clients and docs group errors by). */
export function errorTypeFor(status: number, code: string): string {
  if (code === 'BUDGET_EXCEEDED') return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'service_unavailable_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The status a domain code gets here: the domain's, but an unknown model is OpenAI's 404. */
export function statusFor(code: keyof typeof ERROR_CODES): number {
  if (code === 'UNKNOWN_MODEL') return 404;
  return ERROR_CODES[code].http;
}

function retryAfterSeconds(details: Record<string, unknown> | undefined): number | undefined {
  const ms = details?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
    ? Math.max(1, Math.ceil(ms / 1000))
    : undefined;
}

/** A business failure, thrown as is or at the root of a workflow failure (a net: data planes throw FederaErrors). */
function domainErrorOf(err: unknown): FederaError | null {
  return err instanceof FederaError ? err : domainErrorOfWorkflow(err);
}

function rendered(
  status: number,
  code: string,
  message: string,
  param: string | null,
  extraHeaders: Record<string, string> = {},
  bodyCode: string = code,
): RenderedError {
  return {
    status,
    headers: { 'x-federa-code': code, ...extraHeaders },
    body: { error: { message, type: errorTypeFor(status, code), param, code: bodyCode } },
  };
}

/**
 * Any error as the /v1 response it becomes. `logInternal` receives the cause of an internal error
 * with the reference the client sees (the cause never leaves the API).
 */
export function renderError(
  err: unknown,
  logInternal: (cause: unknown, correlationId: string) => void,
): RenderedError {
  if (err instanceof OpenAiHttpError) return rendered(err.status, err.code, err.message, err.param);
  // a store failing over (a Redis master killed) is a retryable 503, not an internal error
  const domain = domainErrorOf(storeUnavailableOr(err));
  if (domain && domain.code !== 'INTERNAL') {
    const status = statusFor(domain.code);
    const retryAfter = retryAfterSeconds(domain.details);
    const param = typeof domain.details?.param === 'string' ? domain.details.param : null;
    return rendered(
      status,
      domain.code,
      domain.message,
      domain.code === 'UNKNOWN_MODEL' ? 'model' : param,
      retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      domain.code === 'UNKNOWN_MODEL' ? 'model_not_found' : domain.code,
    );
  }
  const correlationId = randomUUID();
  logInternal(domain ?? err, correlationId);
  return rendered(500, 'INTERNAL', `internal error (reference ${correlationId})`, null);
}
