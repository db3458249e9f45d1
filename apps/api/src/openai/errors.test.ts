import { describe, expect, it } from 'vitest';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { ERROR_CODES, FederaError, type ErrorCode } from '@federa/domain';
import { OpenAiHttpError, renderError } from './errors';

const noLog = () => undefined;
const render = (err: unknown) => renderError(err, noLog);

describe('OpenAI-shaped errors', () => {
  it('400: bad input is an invalid_request_error naming the parameter', () => {
    const r = render(new FederaError('VALIDATION_FAILED', 'n: only n: 1 is supported', { param: 'n' }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: {
        message: 'n: only n: 1 is supported',
        type: 'invalid_request_error',
        param: 'n',
        code: 'VALIDATION_FAILED',
      },
    });
    expect(r.headers['x-federa-code']).toBe('VALIDATION_FAILED');
    expect(render(new OpenAiHttpError(400, 'MALFORMED_JSON', 'bad json')).body.error.code).toBe(
      'MALFORMED_JSON',
    );
  });

  it('401: no or a bad credential is an authentication_error', () => {
    const r = render(new FederaError('UNAUTHENTICATED', 'missing Authorization header'));
    expect(r.status).toBe(401);
    expect(r.body.error).toMatchObject({ type: 'authentication_error', code: 'UNAUTHENTICATED' });
  });

  it('402: an exhausted budget is insufficient_quota, with Retry-After when the ledger gives one', () => {
    const plain = render(new FederaError('BUDGET_EXCEEDED', 'over budget'));
    expect(plain.status).toBe(402);
    expect(plain.body.error).toMatchObject({ type: 'insufficient_quota', code: 'BUDGET_EXCEEDED' });
    expect(plain.headers['retry-after']).toBeUndefined();
    const timed = render(new FederaError('BUDGET_EXCEEDED', 'over budget', { retryAfterMs: 61_500 }));
    expect(timed.headers['retry-after']).toBe('62');
  });

  it('403: residency and role refusals are permission errors', () => {
    for (const code of ['RESIDENCY_VIOLATION', 'FORBIDDEN', 'UNKNOWN_TENANT'] as const) {
      const r = render(new FederaError(code, 'no'));
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ type: 'permission_error', code });
    }
  });

  it("404: an unknown model is OpenAI's model_not_found (Federa's code in the header)", () => {
    const r = render(new FederaError('UNKNOWN_MODEL', "The model 'x' does not exist"));
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({
      message: "The model 'x' does not exist",
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
    expect(r.headers['x-federa-code']).toBe('UNKNOWN_MODEL');
  });

  it('409 and 413: idempotency reuse and oversized prompts or bodies', () => {
    expect(render(new FederaError('IDEMPOTENCY_KEY_REUSED', 'reused')).status).toBe(409);
    expect(render(new FederaError('PROMPT_TOO_LARGE', 'too large')).status).toBe(413);
    const body = render(new OpenAiHttpError(413, 'PAYLOAD_TOO_LARGE', 'over'));
    expect(body.status).toBe(413);
    expect(body.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('429: rate limits and overload are rate_limit_error with Retry-After', () => {
    for (const code of ['RATE_LIMITED', 'OVERLOADED'] as const) {
      const r = render(new FederaError(code, 'slow down', { retryAfterMs: 1000 }));
      expect(r.status).toBe(429);
      expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code });
      expect(r.headers['retry-after']).toBe('1');
    }
  });

  it('503: no eligible site, every site failed, or no data plane', () => {
    for (const code of ['NO_ELIGIBLE_SITE', 'ALL_SITES_FAILED'] as const) {
      const r = render(new FederaError(code, 'none'));
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ type: 'service_unavailable_error', code });
    }
    const r = render(new OpenAiHttpError(503, 'DATA_PLANE_UNAVAILABLE', 'no data plane'));
    expect(r.status).toBe(503);
    expect(r.headers['x-federa-code']).toBe('DATA_PLANE_UNAVAILABLE');
  });

  it('500: an internal failure says nothing internal, only the reference it was logged under', () => {
    const logged: { cause: unknown; id: string }[] = [];
    const cause = new Error('ERR wrong number of arguments for EVALSHA at redis://10.0.0.5:6379');
    const r = renderError(cause, (c, id) => logged.push({ cause: c, id }));
    expect(r.status).toBe(500);
    expect(r.body.error.type).toBe('server_error');
    expect(r.body.error.code).toBe('INTERNAL');
    expect(r.body.error.message).toBe(`internal error (reference ${logged[0]!.id})`);
    expect(JSON.stringify(r)).not.toMatch(/redis|EVALSHA|10\.0\.0\.5|at /i);
    expect(logged[0]!.cause).toBe(cause);
  });

  it('finds the domain error inside a failed workflow', () => {
    const failure = ApplicationFailure.nonRetryable('no site may serve it', 'NO_ELIGIBLE_SITE');
    const err = new WorkflowFailedError('workflow failed', failure, 'NON_RETRYABLE_FAILURE');
    expect(render(err).status).toBe(503);
    expect(render(err).body.error.code).toBe('NO_ELIGIBLE_SITE');
  });

  it('gives every domain code a status and an OpenAI type', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const r = render(new FederaError(code, 'x'));
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body.error.type).toMatch(/_error$|^insufficient_quota$/);
    }
  });
});
