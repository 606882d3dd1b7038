// The one IPC channel between the renderer and main. Electron's ipcMain.handle answers any frame
// of any WebContents that can reach ipcRenderer, so every call is checked: it must come from the
// main window's top frame showing the app's own page (not an iframe, not a page the window was
// somehow navigated to). The envelope is validated here; the request itself by the API
// (main/api/studio-api.ts validates against shared/contract/api.ts).
//
// Electron's invoke() rejects with a new Error carrying only the message (custom fields such as
// `code` are lost on the way), so a failure is returned as a value, `{ ok: false, error }`, and
// the preload turns it back into a rejection.
import { z } from 'zod';
import {
  API_METHODS,
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  type ApiErrorBody,
  type ApiEventName,
} from '../../shared/contract/api.js';
import { isAppUrl } from './security.js';

/** What crosses the call channel back to the preload. */
export type IpcResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

/** What crosses the event channel: an API event, or the menu's 'app.menu'. */
export interface IpcEventMessage {
  event: string;
  payload: unknown;
}

/** The menu's event name (not an API event: it starts in main's menu, not in the API). */
export const MENU_EVENT = 'app.menu';

export const CallEnvelopeSchema = z
  .object({
    method: z.string().min(1).max(100),
    request: z.unknown(),
  })
  .strict();

/** The part of createStudioApi()'s host that IPC uses (main/api/studio-api.ts StudioApiHost). */
export interface IpcApi {
  handle(method: string, rawRequest: unknown): Promise<unknown>;
  onAny(listener: (event: ApiEventName, payload: unknown) => void): () => void;
}

export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
}

export interface SenderLike {
  readonly id: number;
}

export interface InvokeEventLike {
  readonly sender: SenderLike;
  readonly senderFrame: FrameLike | null;
}

export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: {
    readonly id: number;
    readonly mainFrame: FrameLike;
    isDestroyed(): boolean;
    send(channel: string, ...args: unknown[]): void;
  };
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  ipcMain: IpcMainLike;
  api: IpcApi;
  /** The main window, or null before it exists and after it is closed. */
  getWindow: () => WindowLike | null;
  /** See security.ts isAppUrl; undefined until the window has loaded its page. */
  appRoot: () => string | undefined;
  log?: (msg: string) => void;
}

export class IpcSenderError extends Error {
  constructor(reason: string) {
    super(`refused an IPC call ${reason}: only the studio's own window may call the API`);
    this.name = 'IpcSenderError';
  }
}

/** Why a sender is refused, or null when it is the main window's top frame showing the app. */
export function senderProblem(
  event: InvokeEventLike,
  win: WindowLike | null,
  appRoot: string | undefined,
): string | null {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return 'while no studio window is open';
  if (event.sender.id !== win.webContents.id) return `from another web contents (id ${event.sender.id})`;
  const frame = event.senderFrame;
  // Null when the frame navigated or was destroyed after sending: nothing to answer.
  if (!frame) return 'from a frame that no longer exists';
  const main = win.webContents.mainFrame;
  if (frame.parent !== null || frame.processId !== main.processId || frame.routingId !== main.routingId)
    return 'from a sub-frame';
  if (appRoot === undefined || !isAppUrl(frame.url, appRoot))
    return `from a page that is not the studio's (${frame.url})`;
  return null;
}

const ERROR_CODES = new Set<ApiErrorBody['code']>(['bad-request', 'not-found', 'unsupported', 'refused', 'internal']);

/** Any thrown value as a body the renderer can show: ApiErrors keep their code, anything else is 'internal'. */
export function toErrorBody(e: unknown, method: string): ApiErrorBody {
  if (e && typeof e === 'object') {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && ERROR_CODES.has(code as ApiErrorBody['code']) && typeof message === 'string')
      return { code: code as ApiErrorBody['code'], message };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: `${method} failed unexpectedly: ${message}` };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'envelope'}: ${i.message}`).join('; ');
}

/** The call handler itself (exported for tests: ipcMain is a one-liner around it). */
export async function handleCall(opts: IpcOptions, event: InvokeEventLike, envelope: unknown): Promise<IpcResult> {
  const log = opts.log ?? (() => {});
  const problem = senderProblem(event, opts.getWindow(), opts.appRoot());
  if (problem) {
    log(`IPC: refused a call ${problem}`);
    // Thrown, not returned: a foreign frame gets no API answer at all, only invoke()'s rejection.
    throw new IpcSenderError(problem);
  }
  const parsed = CallEnvelopeSchema.safeParse(envelope);
  if (!parsed.success)
    return {
      ok: false,
      error: {
        code: 'bad-request',
        message: `invalid IPC call: ${describeIssues(parsed.error)}; expected { method, request }`,
      },
    };
  const { method, request } = parsed.data;
  if (!Object.hasOwn(API_METHODS, method))
    return { ok: false, error: { code: 'bad-request', message: `unknown API method "${method}"` } };
  try {
    return { ok: true, value: await opts.api.handle(method, request) };
  } catch (e) {
    const error = toErrorBody(e, method);
    if (error.code === 'internal') log(`IPC: ${method} failed: ${(e as Error)?.stack ?? String(e)}`);
    return { ok: false, error };
  }
}

export interface IpcRegistration {
  /** Sends an event to the window if it is still there (API events, and the menu's MENU_EVENT). */
  send(event: string, payload: unknown): boolean;
  /** Removes the handler and stops forwarding events. */
  dispose(): void;
}

/** Registers the call handler and forwards every API event to the window. */
export function registerIpc(opts: IpcOptions): IpcRegistration {
  opts.ipcMain.handle(IPC_CALL_CHANNEL, (event, envelope) => handleCall(opts, event, envelope));
  const send = (event: string, payload: unknown): boolean => {
    const win = opts.getWindow();
    // Events of a run that outlives its window (closing while a job measures) are dropped.
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return false;
    const msg: IpcEventMessage = { event, payload };
    win.webContents.send(IPC_EVENT_CHANNEL, msg);
    return true;
  };
  const off = opts.api.onAny((event, payload) => void send(event, payload));
  return {
    send,
    dispose: () => {
      off();
      opts.ipcMain.removeHandler(IPC_CALL_CHANNEL);
    },
  };
}
