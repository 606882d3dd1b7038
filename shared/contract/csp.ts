// The Content-Security-Policy of the renderer, in one place: renderer/index.html carries the page
// policy in a <meta> (a test compares them), and both hosts send the header form on every
// response (Electron's session in main/app/security.ts, the web server in main/server/static.ts).
// Only the app's own files; for the web mode also its own API and WebSocket on the loopback.

/** The page's policy as its <meta> tag states it (a <meta> cannot carry frame-ancestors). */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; form-action 'none'";

/** The header: the page's policy, and no framing of the app by any page. */
export const CONTENT_SECURITY_POLICY = `${RENDERER_CSP}; frame-ancestors 'none'`;
