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
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // watched from the first byte: a client that leaves while its request is checked is not served
    const signal = clientSignal(res);
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    switch (route.kind) {
      case 'models':
        return handleModels(deps, req, res, undefined);
      case 'model':
        return handleModels(deps, req, res, route.id);
      case 'chat':
        return handleChat(deps, req, res, {
          body: await readJsonBody(req, opts.maxBodyBytes),
          signal,
          renderFailure: (err) => render(err).body,
        });
      case 'embeddings':
        return handleEmbeddings(deps, req, res, { body: await readJsonBody(req, opts.maxBodyBytes), signal });
    }
  };
  return (req, res) =>
    inRequestSpan(
      req,
      res,
      deps.log,
      () =>
        void handle(req, res).catch((err: unknown) => {
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
        }),
    );
}
