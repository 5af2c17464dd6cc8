/**
 * The console's static files: GET/HEAD /console and /console/* from the built bundle
 * (dist/console, made by `npm run build`). Paths that name no file get index.html (the
 * console routes in the page), except under /console/assets/, where a missing file is a 404.
 * Paths are decoded once and must stay inside the bundle's folder.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_PREFIX = '/console';

/** dist/console, next to dist/src (this file is dist/src/server/console-static.js). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
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
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface StaticReply {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The page may load and call only its own origin: everything is bundled. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

function text(status: number, message: string, extra: Record<string, string> = {}): StaticReply {
  const body = Buffer.from(`${message}\n`);
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, ...SECURITY_HEADERS, ...extra }, body };
}

/** True for the console's own paths: /console and everything under /console/. */
export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PREFIX || pathname.startsWith(`${CONSOLE_PREFIX}/`);
}

function fileReply(file: string, immutable: boolean): StaticReply | undefined {
  let body: Buffer;
  try {
    if (!statSync(file).isFile()) return undefined;
    body = readFileSync(file);
  } catch {
    return undefined;
  }
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    'Content-Length': body.length,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  };
  if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CSP;
  return { status: 200, headers, body };
}

/**
 * Answers a request for a console path. `rawPath` is the URL's path as received (still
 * percent-encoded).
 */
export function serveConsole(method: string, rawPath: string, root: string = CONSOLE_DIR): StaticReply {
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'The console is read with GET or HEAD.', { Allow: 'GET, HEAD' });
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath.slice(CONSOLE_PREFIX.length));
  } catch {
    return text(400, 'The path is not valid percent-encoding.');
  }
  if (rel.includes('\0') || rel.includes('\\')) return text(400, 'The path is not valid.');
  // Any ".." segment is refused outright, before normalisation can hide it.
  if (rel.split('/').some((seg) => seg === '..')) return text(404, 'Not found.');
  const base = resolve(root);
  const index = join(base, 'index.html');
  const page = () => fileReply(index, false) ?? text(503, 'The console is not built: run `npm run build` (it runs `vite build` into dist/console).');
  const clean = normalize(`/${rel}`).replace(/^\/+/, '');
  if (clean === '' || clean === '.') return page();
  const file = resolve(base, clean);
  if (file !== base && !file.startsWith(base + sep)) return text(404, 'Not found.');
  const hit = fileReply(file, clean.startsWith('assets/'));
  if (hit) return hit;
  // Hashed assets that are missing are a 404 (a stale page), everything else is the page.
  if (clean.startsWith('assets/') || /\.(js|css|map|png|svg|ico|woff2?)$/i.test(clean)) return text(404, 'Not found.');
  return page();
}
