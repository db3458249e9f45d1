/**
 * The OpenAI-compatible surface under /v1, for applications using the official clients.
 * (Skeleton: the handlers land with issue 9's front-door work.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDeps } from '../context';

export type OpenAiHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createOpenAiHandler(_deps: ServedDeps): OpenAiHandler {
  return (req, res) => {
    const body = JSON.stringify({
      error: {
        message: `no route ${req.method ?? 'GET'} ${req.url ?? '/'}`,
        type: 'invalid_request_error',
        param: null,
        code: 'NOT_FOUND',
      },
    });
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(body);
  };
}
