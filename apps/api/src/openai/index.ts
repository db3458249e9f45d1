/**
 * The OpenAI-compatible surface under /v1, for applications using the official clients:
 * chat completions (plain and streamed), embeddings and models, authenticated like tRPC, answering
 * in OpenAI's shapes and errors (docs/openai.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDeps } from '../context';
import { ClientLeftError, clientSignal } from './admitted';
import { handleChat } from './chat';
import { handleEmbeddings } from './embeddings';
import { OpenAiHttpError, renderError } from './errors';
import { readJsonBody, sendError } from './http';
import { handleModels } from './models-handler';
import { inRequestSpan, requestIdOf } from './request-span';
import { NO_METER, type RequestMeter } from '../metrics/request-meter';
import { outcomeCodeOf } from '../metrics/outcome-code';

export type OpenAiHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface OpenAiOptions {
  /** the largest request body accepted (413 beyond) */
  readonly maxBodyBytes: number;
}

type Route =
  { readonly kind: 'chat' | 'embeddings' | 'models' } | { readonly kind: 'model'; readonly id: string };

/** The route a method and path name, or a 404/405 in OpenAI's shape. */
export function routeOf(method: string, url: string): Route {
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  const want = (m: string, route: Route): Route => {
    if (method !== m)
      throw new OpenAiHttpError(405, 'METHOD_NOT_SUPPORTED', `${method} ${path} is not supported; use ${m}`);
    return route;
  };
  if (path === '/v1/chat/completions') return want('POST', { kind: 'chat' });
  if (path === '/v1/embeddings') return want('POST', { kind: 'embeddings' });
  if (path === '/v1/models') return want('GET', { kind: 'models' });
  if (path.startsWith('/v1/models/')) {
    let id: string;
    try {
      id = decodeURIComponent(path.slice('/v1/models/'.length));
    } catch {
      throw new OpenAiHttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    }
    return want('GET', { kind: 'model', id });
  }
  throw new OpenAiHttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
}

export function createOpenAiHandler(deps: ServedDeps, opts: OpenAiOptions): OpenAiHandler {
  const render = (err: unknown) =>
    renderError(err, (cause, correlationId) =>
      deps.log.error({ err: cause, correlationId, surface: 'openai' }, 'internal error'),
    );
  /** Serves one request; inference requests get a meter (held by `metered`) and answer their code. */
  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    metered: { meter: RequestMeter },
  ): Promise<string | undefined> => {
    // watched from the first byte: a client that leaves while its request is checked is not served
    const signal = clientSignal(res);
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    switch (route.kind) {
      case 'models':
        await handleModels(deps, req, res, undefined);
        return undefined;
      case 'model':
        await handleModels(deps, req, res, route.id);
        return undefined;
      case 'chat':
        metered.meter = deps.metrics?.start('openai.chat') ?? NO_METER;
        return handleChat(deps, req, res, {
          body: await readJsonBody(req, opts.maxBodyBytes),
          signal,
          renderFailure: (err) => render(err).body,
          meter: metered.meter,
        });
      case 'embeddings':
        metered.meter = deps.metrics?.start('openai.embeddings') ?? NO_METER;
        return handleEmbeddings(deps, req, res, {
          body: await readJsonBody(req, opts.maxBodyBytes),
          signal,
          meter: metered.meter,
        });
    }
  };
  return (req, res) =>
    inRequestSpan(req, res, deps.log, () => {
      const metered = { meter: NO_METER };
      handle(req, res, metered).then(
        (code) => {
          if (code) metered.meter.finish(code);
        },
        (err: unknown) => {
          metered.meter.finish(outcomeCodeOf(err));
          if (err instanceof ClientLeftError) return; // nobody reads an answer; nothing failed
          if (res.headersSent) {
            // a stream already begun cannot change its status: end it (its error event, if any, is out)
            const rendered = render(err);
            deps.log.warn(
              { code: rendered.body.error.code, request_id: requestIdOf(res) },
              'a /v1 response failed after its headers',
            );
            res.end();
            return;
          }
          sendError(res, render(err));
        },
      );
    });
}
