/**
 * Serves the web console (apps/console, a Vite build) under /console/. The console is a static
 * single-page app that calls the same /trpc procedures as every other client, so serving it needs no
 * credentials and grants nothing: every call it makes is authenticated and authorised there.
 *
 * Files come only from the built directory, read once at start (a build is a few hundred KB), so a
 * request can never name a path outside it. Unknown paths under /console/ get index.html: the app
 * routes on the client.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

export const CONSOLE_PATH = '/console';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console talks to its own origin only; no inline scripts, no frames. Styles may be inline
 * because the charting library sizes its SVG with style attributes.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface ConsoleFile {
  readonly body: Buffer;
  readonly type: string;
  /** Vite's assets carry a content hash in their name: cache them for good; index.html never */
  readonly immutable: boolean;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The handler for /console/…, or undefined when `dir` holds no build (the API runs without it). */
export function createConsoleHandler(dir: string): ConsoleHandler | undefined {
  const files = readBuild(dir);
  const index = files.get('/index.html');
  if (!index) return undefined;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://console').pathname;
    if (path === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/` });
      res.end();
      return;
    }
    const name = path.slice(CONSOLE_PATH.length);
    const file = files.get(name === '/' ? '/index.html' : name);
    // an asset that is not in the build is a 404 (a stale tab after a deploy must not get HTML as JS)
    if (!file && name.startsWith('/assets/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const served = file ?? index;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': served.type,
      'content-length': served.body.length,
      'cache-control': served.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : served.body);
  };
}

function readBuild(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) return files;
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const full = join(dir, entry);
    if (!statSync(full).isFile()) continue;
    const name = `/${relative(dir, full).split(sep).join('/')}`;
    files.set(name, {
      body: readFileSync(full),
      type: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      immutable: name.startsWith('/assets/'),
    });
  }
  return files;
}
