// The window's security settings beyond its webPreferences (window-options.ts): a
// Content-Security-Policy header, no permissions, no navigation away from the app, no new windows,
// no <webview>. Electron's own checklist (electronjs.org/docs/latest/tutorial/security) is the source;
// the decisions are pure predicates (isAppUrl, withSecurityHeaders, ...) so that Node tests can hit
// them without the Electron binary, and the install functions take structural types of the few
// Electron methods they call.

// The policy: shared/contract/csp.ts (renderer/index.html's <meta> plus frame-ancestors).
import { CONTENT_SECURITY_POLICY } from '../../shared/contract/csp.js';

export { CONTENT_SECURITY_POLICY };

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is one of the app's own pages. `appRoot` is the folder the renderer is loaded
 * from: `file:///.../dist/renderer/` in production (any file under it; the URL parser has already
 * resolved `..` and `%2e%2e`, so a path cannot climb out), or the development server's origin
 * `http://127.0.0.1:5173/` (same scheme, host and port). Query and fragment do not matter.
 */
export function isAppUrl(url: string, appRoot: string): boolean {
  const u = parse(url);
  const root = parse(appRoot);
  if (!u || !root) return false;
  if (root.protocol === 'file:') {
    if (u.protocol !== 'file:' || u.host !== root.host) return false;
    const dir = root.pathname.endsWith('/') ? root.pathname : `${root.pathname.replace(/[^/]*$/, '')}`;
    // Percent-encoded slashes could smuggle a different path past the comparison.
    if (/%2f|%5c/i.test(u.pathname)) return false;
    return u.pathname.startsWith(dir);
  }
  if (root.protocol === 'http:' || root.protocol === 'https:') return u.origin === root.origin;
  return false;
}

/** The app root for a page URL: its folder for file:, its origin for http(s): (see isAppUrl). */
export function appRootOf(pageUrl: string): string {
  const u = new URL(pageUrl);
  if (u.protocol === 'file:') return new URL('./', u).href;
  return `${u.origin}/`;
}

/**
 * Development only: the Vite server the window may load (VITE_DEV_SERVER_URL). Only a loopback
 * http URL is accepted: anything else would let an environment variable point the privileged
 * window (with its preload API) at a remote page.
 */
export function isAllowedDevServerUrl(url: string): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'http:') return false;
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/**
 * Links the app may open in the system browser: https only, and only to these hosts (exactly or
 * a subdomain). Everything else is dropped.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'onnxruntime.ai', 'onnx.ai', 'www.electronjs.org'];

export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username || u.password) return false;
  return hosts.some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`));
}

type Headers = Record<string, string | string[]>;

/** The response headers with our CSP and nosniff, replacing any the response had (in any letter case). */
export function withSecurityHeaders(headers: Headers | undefined, csp = CONTENT_SECURITY_POLICY): Headers {
  const out: Headers = {};
  const ours = new Set(['content-security-policy', 'x-content-type-options']);
  for (const [k, v] of Object.entries(headers ?? {})) if (!ours.has(k.toLowerCase())) out[k] = v;
  out['Content-Security-Policy'] = [csp];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

/** The few Session methods used here (Electron.Session satisfies it). */
export interface SessionLike {
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Headers }) => void,
      ) => void,
    ): void;
  };
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  /** WebHID, WebUSB, Web Serial devices (optional: older fakes lack it). */
  setDevicePermissionHandler?(handler: (details: unknown) => boolean): void;
}

export interface NavigationEvent {
  preventDefault(): void;
  url: string;
  /** will-frame-navigate only: whether the frame is the top one (will-navigate covers that one). */
  isMainFrame?: boolean;
}

/** The few WebContents methods used here (Electron.WebContents satisfies it). */
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: (e: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface SecurityOptions {
  /** See isAppUrl; a function because the window's root is known only once it loads. */
  appRoot: () => string | undefined;
  /** shell.openExternal; absent: links to the allowed hosts are dropped like any other. */
  openExternal?: (url: string) => unknown;
  log?: (msg: string) => void;
}

/** CSP and nosniff on every response, and no permission (camera, notifications, ...) ever granted. */
export function secureSession(session: SessionLike, opts: { log?: (msg: string) => void } = {}): void {
  const log = opts.log ?? (() => {});
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) });
  });
  // The studio needs no permission at all; asking for one means something is wrong.
  session.setPermissionRequestHandler((_wc, permission, callback) => {
    log(`refused a permission request: ${permission}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler?.(() => false);
}

/**
 * Guards one WebContents: navigation only within the app (top frame and sub-frames), no new windows (allowed https links go
 * to the system browser instead), no <webview>. Installed on every WebContents the app creates
 * ('web-contents-created'), the main window's included.
 */
export function guardWebContents(contents: WebContentsLike, opts: SecurityOptions): void {
  const log = opts.log ?? (() => {});
  const guard =
    (kind: string, external = true) =>
    (e: NavigationEvent) => {
      const root = opts.appRoot();
      if (root !== undefined && isAppUrl(e.url, root)) return;
      e.preventDefault();
      log(`refused ${kind} to ${e.url}`);
      if (external && opts.openExternal && isAllowedExternalUrl(e.url)) void opts.openExternal(e.url);
    };
  contents.on('will-navigate', guard('navigation'));
  contents.on('will-redirect', guard('redirect'));
  // will-navigate fires for the top frame only; a sub-frame (which the CSP already confines to the
  // app's own files) gets the same rule.
  const frameGuard = guard('sub-frame navigation', false);
  contents.on('will-frame-navigate', (e) => {
    if (e.isMainFrame !== true) frameGuard(e);
  });
  contents.on('will-attach-webview', (e) => {
    e.preventDefault();
    log('refused to attach a <webview>');
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (opts.openExternal && isAllowedExternalUrl(url)) void opts.openExternal(url);
    else log(`refused to open a window for ${url}`);
    return { action: 'deny' };
  });
}

/** Both of the above for the main window. */
export function installSecurity(session: SessionLike, contents: WebContentsLike, opts: SecurityOptions): void {
  secureSession(session, opts);
  guardWebContents(contents, opts);
}
