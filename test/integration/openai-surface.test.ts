/**
 * The OpenAI-compatible surface (/v1) as an application sees it through the official `openai`
 * client, unchanged: models, authentication, and every refusal that happens before the data plane
 * (with no data plane configured, chat and embeddings answer 503). Real Temporal, Redis and API.
 */
import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
} from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

const MAX_PROMPT_CHARS = 4_000;

/** The client's rejection, for assertions on its class, status, code and headers. */
async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAI-compatible surface (no data plane)', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  let client: OpenAI;
  const userMessage = [{ role: 'user' as const, content: 'Summarise the federation in one sentence.' }];

  const clientFor = (apiKey: string) =>
    // no retries: a test sees the first answer (the client retries 409, 429 and 5xx by default)
    new OpenAI({ apiKey, baseURL: `${fed.api.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      requestLimits: { maxPromptChars: MAX_PROMPT_CHARS },
      dataPlane: 'off',
    });
    client = clientFor(await fed.token('tenant', `${s}-eu`));
  });
  afterAll(async () => {
    await fed?.close();
  });

  it('lists the models the tenant may use, with the jurisdictions serving them', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([TEST_EMBEDDING_MODEL, TEST_MODEL]);
    const model = page.data.find((m) => m.id === TEST_MODEL) as OpenAI.Models.Model & {
      federa: { jurisdictions: string[] };
    };
    expect(model).toMatchObject({ object: 'model', owned_by: `${s}-rhein` });
    // the EU tenant's residency: Paris, Frankfurt, Stockholm (not London, Ashburn, Tokyo)
    expect(model.federa.jurisdictions).toEqual(['DE', 'FR', 'SE']);
    // narrowed by the residency header: only where this request could be served
    const narrowed = await client.models.list({ headers: { 'X-Federa-Residency': 'FR' } });
    expect(
      (narrowed.data.find((m) => m.id === TEST_MODEL) as unknown as { federa: { jurisdictions: string[] } })
        .federa.jurisdictions,
    ).toEqual(['FR']);
  });

  it('retrieves a model, and answers 404 model_not_found for one it may not use', async () => {
    const model = await client.models.retrieve(TEST_MODEL);
    expect(model.id).toBe(TEST_MODEL);
    const err = await rejection(client.models.retrieve('gpt-none'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(err.headers?.get('x-federa-code')).toBe('UNKNOWN_MODEL');
  });

  it('401 without a credential and with a bad one', async () => {
    const res = await fetch(`${fed.api.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        message: 'missing Authorization header',
        type: 'authentication_error',
        param: null,
        code: 'UNAUTHENTICATED',
      },
    });
    const err = await rejection(clientFor('not-a-token').models.list());
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.code).toBe('UNAUTHENTICATED');
  });

  it('403 for a caller that is not a tenant', async () => {
    const operator = clientFor(await fed.token('operator', `${s}-rhein`));
    const err = await rejection(operator.models.list());
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.code).toBe('FORBIDDEN');
  });

  it('404 model_not_found for a chat with a model the tenant may not use', async () => {
    const err = await rejection(client.chat.completions.create({ model: 'gpt-none', messages: userMessage }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
  });

  it('400 for n: 2 and for content parts other than text, naming the parameter', async () => {
    const n = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage, n: 2 }),
    );
    expect(n).toBeInstanceOf(BadRequestError);
    expect(n.code).toBe('VALIDATION_FAILED');
    expect(n.param).toBe('n');
    const image = await rejection(
      client.chat.completions.create({
        model: TEST_MODEL,
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
        ],
      }),
    );
    expect(image).toBeInstanceOf(BadRequestError);
    expect(image.param).toMatch(/^messages\[0\]\.content/);
    const tokens = await rejection(client.embeddings.create({ model: TEST_MODEL, input: [1, 2, 3] }));
    expect(tokens).toBeInstanceOf(BadRequestError);
    expect(tokens.message).toContain('token arrays are not supported');
  });

  it('400 for a body that is not JSON', async () => {
    const res = await fetch(`${fed.api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await fed.token('tenant', `${s}-eu`)}` },
      body: '{"model":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_JSON');
  });

  it('403 for a residency outside the tenant, by header or by body', async () => {
    const byHeader = await rejection(
      client.chat.completions.create(
        { model: TEST_MODEL, messages: userMessage },
        { headers: { 'X-Federa-Residency': 'FR,US' } },
      ),
    );
    expect(byHeader).toBeInstanceOf(PermissionDeniedError);
    expect(byHeader.code).toBe('RESIDENCY_VIOLATION');
    expect(byHeader.message).toContain('US');
    const byBody = await rejection(
      client.chat.completions.create({
        model: TEST_MODEL,
        messages: userMessage,
        federa: { residency: ['JP'] },
      } as never),
    );
    expect(byBody).toBeInstanceOf(PermissionDeniedError);
    expect(byBody.headers?.get('x-federa-code')).toBe('RESIDENCY_VIOLATION');
  });

  it('413 for a prompt over the character cap and for a body over 1 MiB', async () => {
    const long = await rejection(
      client.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'x'.repeat(MAX_PROMPT_CHARS + 1) }],
      }),
    );
    expect(long.status).toBe(413);
    expect(long.code).toBe('PROMPT_TOO_LARGE');
    const huge = await rejection(
      client.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'y'.repeat(1024 * 1024 + 1) }],
      }),
    );
    expect(huge.status).toBe(413);
    expect(huge.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('409 when an Idempotency-Key is sent again with another body', async () => {
    const key = { headers: { 'Idempotency-Key': `${s}-idem-1` } };
    // the first use binds the key to its body, even though no data plane serves it here
    const first = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage }, key),
    );
    expect(first.status).toBe(503);
    const same = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage }, key),
    );
    expect(same.status).toBe(503);
    const other = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage, max_tokens: 5 }, key),
    );
    expect(other).toBeInstanceOf(ConflictError);
    expect(other.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const bad = await rejection(
      client.chat.completions.create(
        { model: TEST_MODEL, messages: userMessage },
        { headers: { 'Idempotency-Key': 'spaces are not allowed' } },
      ),
    );
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.param).toBe('Idempotency-Key');
  });

  it('503 with a stable code while the API has no data plane, plain, streamed and embeddings', async () => {
    const plain = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage }),
    );
    expect(plain.status).toBe(503);
    expect(plain.code).toBe('DATA_PLANE_UNAVAILABLE');
    expect(plain.headers?.get('x-federa-code')).toBe('DATA_PLANE_UNAVAILABLE');
    expect(plain.headers?.get('x-request-id')).toMatch(/^req-/);
    const streamed = await rejection(
      client.chat.completions.create({ model: TEST_MODEL, messages: userMessage, stream: true }),
    );
    expect(streamed.status).toBe(503);
    const embeddings = await rejection(client.embeddings.create({ model: TEST_MODEL, input: 'hello' }));
    expect(embeddings.status).toBe(503);
    expect(embeddings.code).toBe('DATA_PLANE_UNAVAILABLE');
  });

  it('answers tRPC inference.complete with DATA_PLANE_UNAVAILABLE too, changing nothing', async () => {
    const tenant = `${s}-eu`;
    const before = await fed.ledger.account(tenant);
    const res = await fed.call(
      'inference.complete',
      chat('trpc-no-data-plane'),
      await fed.token('tenant', tenant),
    );
    expect(res.status).toBe(503);
    expect(res.body.error.data.federaCode).toBe('DATA_PLANE_UNAVAILABLE');
    expect(await fed.ledger.account(tenant)).toEqual(before);
    expect(await fed.ledger.hold(tenant, 'trpc-no-data-plane')).toBeNull();
  });

  it('answers unknown routes and wrong methods in OpenAI shape', async () => {
    const token = await fed.token('tenant', `${s}-eu`);
    const missing = await fetch(`${fed.api.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const wrong = await fetch(`${fed.api.url}/v1/models`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(wrong.status).toBe(405);
  });
});
