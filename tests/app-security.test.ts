// The Electron shell's security settings, checked in Node without the Electron binary: the CSP
// header equals the renderer's <meta>, the URL predicates, and the session / WebContents guards
// driven with fake objects and fake events.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { RENDERER_CSP } from '../shared/contract/csp.js';
import type { Session, WebContents } from 'electron';
import {
  appRootOf,
  CONTENT_SECURITY_POLICY,
  guardWebContents,
  installSecurity,
  isAllowedDevServerUrl,
  isAllowedExternalUrl,
  isAppUrl,
  secureSession,
  withSecurityHeaders,
  type NavigationEvent,
  type SessionLike,
  type WebContentsLike,
} from '../main/app/security.js';

// The structural types must accept Electron's real objects (checked by tsc, nothing runs).
export const _typeChecks = (s: Session, w: WebContents): [SessionLike, WebContentsLike] => [s, w];

const ROOT = 'file:///opt/studio/dist/renderer/';

describe('Content-Security-Policy', () => {
  it("is renderer/index.html's meta policy plus frame-ancestors (which a meta cannot carry)", () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    expect(meta).not.toBeNull();
    expect(meta![1]).toBe(RENDERER_CSP);
    expect(CONTENT_SECURITY_POLICY).toBe(`${meta![1]}; frame-ancestors 'none'`);
  });

  it('allows only the app itself: no inline or eval, no objects, no framing', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('is added to responses, replacing any policy and nosniff header the response had', () => {
    const h = withSecurityHeaders({
      'content-security-policy': ['default-src *'],
      'X-Content-Type-Options': ['whatever'],
      'Content-Type': ['text/html'],
    });
    expect(h).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      'X-Content-Type-Options': ['nosniff'],
    });
    expect(withSecurityHeaders(undefined)['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
  });
});

describe('isAppUrl', () => {
  it.each([
    ['file:///opt/studio/dist/renderer/index.html', true],
    ['file:///opt/studio/dist/renderer/index.html#/results?x=1', true],
    ['file:///opt/studio/dist/renderer/assets/index-abc.js', true],
    ['file:///opt/studio/dist/renderer/../../secrets.html', false],
    ['file:///opt/studio/dist/renderer/%2e%2e/%2e%2e/x.html', false],
    ['file:///opt/studio/dist/renderer/a%2f..%2f..%2fx', false],
    ['file:///opt/studio/dist/renderer-evil/index.html', false],
    ['file:///etc/passwd', false],
    ['file://host/opt/studio/dist/renderer/index.html', false],
    ['https://example.com/', false],
    ['http://127.0.0.1:5173/', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s -> %s (production root)', (url, ok) => {
    expect(isAppUrl(url, ROOT)).toBe(ok);
  });

  it.each([
    ['http://127.0.0.1:5173/', true],
    ['http://127.0.0.1:5173/src/main.ts?t=1#x', true],
    ['http://127.0.0.1:5174/', false],
    ['http://localhost:5173/', false],
    ['https://127.0.0.1:5173/', false],
    ['http://127.0.0.1:5173@evil.com/', false],
  ])('%s -> %s (development root)', (url, ok) => {
    expect(isAppUrl(url, 'http://127.0.0.1:5173/')).toBe(ok);
  });

  it('a root that is neither file: nor http(s): allows nothing', () => {
    expect(isAppUrl('data:text/html,x', 'data:text/html,x')).toBe(false);
    expect(isAppUrl('file:///x', 'garbage')).toBe(false);
  });

  it('appRootOf gives the folder of a file page and the origin of a served one', () => {
    expect(appRootOf('file:///opt/studio/dist/renderer/index.html')).toBe(ROOT);
    expect(appRootOf('http://127.0.0.1:5173/index.html')).toBe('http://127.0.0.1:5173/');
  });
});

describe('URL allowlists', () => {
  it('accepts only a loopback http dev server', () => {
    expect(isAllowedDevServerUrl('http://127.0.0.1:5173/')).toBe(true);
    expect(isAllowedDevServerUrl('http://localhost:5173')).toBe(true);
    expect(isAllowedDevServerUrl('http://[::1]:5173/')).toBe(true);
    expect(isAllowedDevServerUrl('https://127.0.0.1:5173/')).toBe(false);
    expect(isAllowedDevServerUrl('http://192.168.1.2:5173/')).toBe(false);
    expect(isAllowedDevServerUrl('http://localhost.evil.com:5173/')).toBe(false);
    expect(isAllowedDevServerUrl('file:///x')).toBe(false);
    expect(isAllowedDevServerUrl('')).toBe(false);
  });

  it('opens externally only https links to the allowed hosts', () => {
    expect(isAllowedExternalUrl('https://github.com/microsoft/onnxruntime')).toBe(true);
    expect(isAllowedExternalUrl('https://docs.github.com/x')).toBe(true);
    expect(isAllowedExternalUrl('http://github.com/')).toBe(false);
    expect(isAllowedExternalUrl('https://github.com.evil.com/')).toBe(false);
    expect(isAllowedExternalUrl('https://evilgithub.com/')).toBe(false);
    expect(isAllowedExternalUrl('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternalUrl('https://example.com/', ['example.com'])).toBe(true);
  });
});

function fakeSession() {
  const s = {
    headers: undefined as undefined | Parameters<SessionLike['webRequest']['onHeadersReceived']>[0],
    request: undefined as undefined | Parameters<SessionLike['setPermissionRequestHandler']>[0],
    check: undefined as undefined | Parameters<SessionLike['setPermissionCheckHandler']>[0],
  };
  const session: SessionLike = {
    webRequest: { onHeadersReceived: (l) => void (s.headers = l) },
    setPermissionRequestHandler: (h) => void (s.request = h),
    setPermissionCheckHandler: (h) => void (s.check = h),
  };
  return { s, session };
}

type Handler = (e: NavigationEvent) => void;

function fakeContents() {
  const handlers = new Map<string, Handler[]>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const contents: WebContentsLike = {
    on: (event: string, l: Handler) => {
      handlers.set(event, [...(handlers.get(event) ?? []), l]);
      return contents;
    },
    setWindowOpenHandler: (h) => void (openHandler = h),
  };
  const fire = (event: string, url = '') => {
    const e = { url, preventDefault: vi.fn() };
    for (const h of handlers.get(event) ?? []) h(e);
    return e.preventDefault.mock.calls.length > 0;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }), handlers };
}

describe('secureSession', () => {
  it('sets the CSP and nosniff headers on every response', () => {
    const { s, session } = fakeSession();
    secureSession(session);
    const callback = vi.fn();
    s.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: {
        'Content-Type': ['text/html'],
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'unknown'])(
    'denies the %s permission, asked or checked',
    (permission) => {
      const { s, session } = fakeSession();
      const log = vi.fn();
      secureSession(session, { log });
      const granted = vi.fn();
      s.request!({}, permission, granted);
      expect(granted).toHaveBeenCalledWith(false);
      expect(s.check!({}, permission)).toBe(false);
      expect(log).toHaveBeenCalledWith(expect.stringContaining(permission));
    },
  );
});

describe('guardWebContents', () => {
  const setup = (root: string | null = ROOT) => {
    const f = fakeContents();
    const openExternal = vi.fn();
    const log = vi.fn();
    guardWebContents(f.contents, { appRoot: () => root ?? undefined, openExternal, log });
    return { ...f, openExternal, log };
  };

  it('lets the app navigate within itself', () => {
    const { fire } = setup();
    expect(fire('will-navigate', `${ROOT}index.html#/bench`)).toBe(false);
    expect(fire('will-redirect', `${ROOT}index.html`)).toBe(false);
  });

  it('refuses navigation and redirects away from the app, and logs them', () => {
    const { fire, log, openExternal } = setup();
    expect(fire('will-navigate', 'https://example.com/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(log).toHaveBeenCalledWith('refused navigation to https://example.com/');
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('refuses all navigation before the app root is known', () => {
    const { fire } = setup(null);
    expect(fire('will-navigate', `${ROOT}index.html`)).toBe(true);
  });

  it('sends an allowed https link to the system browser instead of navigating', () => {
    const { fire, openExternal } = setup();
    expect(fire('will-navigate', 'https://github.com/x')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://github.com/x');
  });

  it('denies every new window; allowed https links open in the system browser', () => {
    const { open, openExternal } = setup();
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    expect(open(`${ROOT}index.html`)).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(open('https://github.com/')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://github.com/');
  });

  it('without openExternal nothing leaves the app', () => {
    const f = fakeContents();
    guardWebContents(f.contents, { appRoot: () => ROOT });
    expect(f.open('https://github.com/')).toEqual({ action: 'deny' });
    expect(f.fire('will-navigate', 'https://github.com/')).toBe(true);
  });

  it('refuses to attach a <webview>', () => {
    const { fire } = setup();
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('installSecurity does both the session and the contents', () => {
    const { s, session } = fakeSession();
    const f = fakeContents();
    installSecurity(session, f.contents, { appRoot: () => ROOT });
    expect(s.headers && s.request && s.check).toBeTruthy();
    expect([...f.handlers.keys()].sort()).toEqual([
      'will-attach-webview',
      'will-frame-navigate',
      'will-navigate',
      'will-redirect',
    ]);
    expect(f.open('https://x.org/')).toEqual({ action: 'deny' });
  });
});
