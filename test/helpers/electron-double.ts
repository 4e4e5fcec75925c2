// A test double of the `electron` module, just large enough for src-main/index.ts and the preload:
// one renderer (the window that loaded a page) whose ipcRenderer reaches ipcMain's handlers with
// that page's URL as the sender frame, and whose webContents.send reaches ipcRenderer's listeners.
// Electron's binary cannot run on CI; this lets the main process's real code run under Node.
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

type Handler = (event: { senderFrame: { url: string } | null; sender: object | undefined }, ...args: unknown[]) => unknown;
type RendererListener = (event: object, ...args: unknown[]) => void;

const handlers = new Map<string, Handler>();
const rendererListeners = new Map<string, Set<RendererListener>>();
const exposed = new Map<string, unknown>();
const windows: FakeBrowserWindow[] = [];

class FakeApp extends EventEmitter {
  quitted = false;
  private readyResolve!: () => void;
  private readonly ready = new Promise<void>((r) => (this.readyResolve = r));
  whenReady(): Promise<void> {
    return this.ready;
  }
  /** Test control: the moment Electron finishes starting. */
  becomeReady(): void {
    this.readyResolve();
  }
  /** As Electron: 'will-quit' first; a listener's preventDefault() keeps the app alive. */
  quit(): void {
    let prevented = false;
    this.emit('will-quit', { preventDefault: () => void (prevented = true) });
    if (!prevented) this.quitted = true;
  }
}

export class FakeBrowserWindow {
  static getAllWindows(): FakeBrowserWindow[] {
    return [...windows];
  }
  static fromWebContents(contents: object | undefined): FakeBrowserWindow | null {
    return windows.find((w) => w.webContents === contents) ?? null;
  }
  /** The page's URL once loaded (the renderer's sender-frame URL). */
  url: string | null = null;
  openHandler: (() => { action: string }) | null = null;
  readonly sent: { channel: string; payload: unknown }[] = [];
  readonly webContents = {
    setWindowOpenHandler: (h: () => { action: string }) => void (this.openHandler = h),
    send: (channel: string, payload: unknown) => {
      this.sent.push({ channel, payload });
      for (const l of rendererListeners.get(channel) ?? []) l({}, payload);
    },
  };
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    windows.push(this);
  }
  loadFile(path: string): Promise<void> {
    this.url = pathToFileURL(path).href;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.url = url;
    return Promise.resolve();
  }
  close(): void {
    windows.splice(windows.indexOf(this), 1);
  }
}

export const app = new FakeApp();
export const BrowserWindow = FakeBrowserWindow;

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
  },
};

/** Test control: a call on a handler as a frame at `url` would make it (null: a frame that is gone). */
export function invokeAs(url: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
  const h = handlers.get(channel);
  if (!h) return Promise.reject(new Error(`No handler registered for '${channel}'`));
  return Promise.resolve(h({ senderFrame: url === null ? null : { url }, sender: windows[0]?.webContents }, ...args));
}

export const ipcRenderer = {
  /** From the window's page: the sender frame is the URL the (only) window loaded. */
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    return invokeAs(windows[0]?.url ?? null, channel, ...args);
  },
  on(channel: string, listener: RendererListener): void {
    if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
    rendererListeners.get(channel)!.add(listener);
  },
  removeListener(channel: string, listener: RendererListener): void {
    rendererListeners.get(channel)?.delete(listener);
  },
};

/** Test control: what the next native file dialog answers (null: the user cancels), and the dialogs shown. */
let nextPick: string | null = null;
export const dialogsShown: { window: FakeBrowserWindow; options: Record<string, unknown> }[] = [];
export const answerNextDialog = (file: string | null): void => void (nextPick = file);

export const dialog = {
  showOpenDialog(window: FakeBrowserWindow, options: Record<string, unknown>): Promise<{ canceled: boolean; filePaths: string[] }> {
    dialogsShown.push({ window, options });
    return Promise.resolve(nextPick === null ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [nextPick] });
  },
};

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    exposed.set(key, api);
  },
};

/** Test control: what the preload exposed to the page, and how many listeners the page holds. */
export const exposedInMainWorld = (key: string): unknown => exposed.get(key);
export const rendererListenerCount = (channel: string): number => rendererListeners.get(channel)?.size ?? 0;
export const handlerChannels = (): string[] => [...handlers.keys()];

export default { app, BrowserWindow, dialog, ipcMain, ipcRenderer, contextBridge };
