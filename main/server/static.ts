// Static files of the built renderer for the web mode. Only files inside the static folder are
// served: each URL segment is decoded on its own and refused if it could step out (`..`, an
// encoded slash or backslash, a NUL, a drive letter), and the resolved path is checked to stay
// inside as well, after following symbolic links (a link in the folder must not lead out of it).
// No directory listings; dotfiles are never served.
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The renderer's policy (renderer/index.html's meta), sent as a header on every page. */
import { CONTENT_SECURITY_POLICY } from '../../shared/contract/csp.js';

export { CONTENT_SECURITY_POLICY };

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function mimeOf(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Whether `file` is strictly inside `base` (both absolute, resolved). */
function inside(base: string, file: string): boolean {
  const rel = relative(base, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * The file a URL path names inside `root`, or a status to answer with: 403 for a path that tries
 * to leave the folder (symbolic links included) or name a hidden file, 400 for bad
 * percent-encoding, 404 for anything else missing.
 */
export function resolveStatic(root: string, urlPath: string): { file: string } | { status: number } {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { status: 400 };
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || seg.includes(':')) return { status: 403 };
    if (seg.startsWith('.')) return { status: 403 };
    segments.push(seg);
  }
  const base = resolve(root);
  const file = segments.length === 0 ? join(base, 'index.html') : resolve(base, ...segments);
  if (!inside(base, file)) return { status: 403 };
  let real: string;
  try {
    if (!statSync(file).isFile()) return { status: 404 };
    // Where the file really is: a link (the file's or a folder's on the way) that points out of
    // the folder is refused. The root itself may be a link (a symlinked dist folder), so compare
    // with its real path.
    real = realpathSync(file);
    if (!inside(realpathSync(base), real)) return { status: 403 };
  } catch {
    return { status: 404 };
  }
  return { file: real };
}

/** Answers a GET/HEAD for a static file (security headers are set by the caller for every response). */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, urlPath: string): void {
  if (!existsSync(join(root, 'index.html'))) {
    text(
      res,
      503,
      `The renderer is not built (${root} has no index.html). Run \`npm run build:renderer\` (or \`npm run serve\`, which builds it first) and reload.\n`,
    );
    return;
  }
  const found = resolveStatic(root, urlPath);
  if ('status' in found) {
    text(
      res,
      found.status,
      found.status === 404 ? 'Not found\n' : found.status === 400 ? 'Bad request\n' : 'Forbidden\n',
    );
    return;
  }
  const isHtml = found.file.endsWith('.html');
  const size = statSync(found.file).size;
  res.writeHead(200, {
    'Content-Type': mimeOf(found.file),
    'Content-Length': size,
    // The page carries the token in its URL and is small: never cached. Vite's hashed assets may be.
    'Cache-Control': isHtml
      ? 'no-store'
      : /[\\/]assets[\\/]/.test(found.file)
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
