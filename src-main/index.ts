// Electron main process, kept thin: the window, the engine worker, one whitelisted IPC channel to
// it, and the native file dialog (the one thing only this process can show).
// The engine (and onnxruntime's synchronous decoding) runs in the worker, never on this thread.
import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allowFolder } from './host/app-settings';
import { IPC_EVENT, IPC_PICK_FILE, IPC_PICK_JOB_FOLDER, IPC_REQUEST, isRemoteMethod, type RpcReply } from './host/protocol';
import { WorkerEngineClient } from './host/worker-client';

const here = dirname(fileURLToPath(import.meta.url));
const rendererFile = join(here, '../renderer/index.html');
let engine: WorkerEngineClient | null = null;

/** Only our own page (the built file, or the dev server's URL) may call the engine. */
function trustedSender(e: IpcMainInvokeEvent): boolean {
  const url = e.senderFrame?.url ?? '';
  const dev = process.env.ELECTRON_RENDERER_URL;
  if (url.startsWith(pathToFileURL(rendererFile).href)) return true;
  if (dev === undefined) return false;
  try {
    return new URL(url).origin === new URL(dev).origin; // a prefix test would let http://localhost:5173.example.com through
  } catch {
    return false;
  }
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1360,
    height: 900,
    title: 'BiLD Bench',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // Links open nowhere inside the app window.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(rendererFile);
}

void app.whenReady().then(() => {
  const client = new WorkerEngineClient();
  engine = client;
  ipcMain.handle(IPC_REQUEST, async (e, method: unknown, args: unknown): Promise<RpcReply> => {
    if (!trustedSender(e)) return { error: { message: 'untrusted sender', userError: false } };
    if (!isRemoteMethod(method) || !Array.isArray(args)) return { error: { message: `unknown method '${String(method)}'`, userError: true } };
    // argument types, CLI-only options and paths outside the allowed folders are refused in the worker
    return client.remoteRequest(method, args).catch((err: Error) => ({ error: { message: err.message, userError: false } }));
  });
  // The user picking a file in a native dialog is what allows its folder to the page (settings.json).
  ipcMain.handle(IPC_PICK_FILE, async (e): Promise<string | null> => {
    const win = trustedSender(e) ? BrowserWindow.fromWebContents(e.sender) : null;
    if (!win) return null;
    const picked = await dialog.showOpenDialog(win, {
      title: 'Dataset file',
      properties: ['openFile'],
      filters: [{ name: 'Datasets', extensions: ['jsonl', 'json', 'csv', 'tsv', 'parquet', 'txt'] }, { name: 'All files', extensions: ['*'] }],
    });
    const file = picked.canceled ? undefined : picked.filePaths[0];
    if (!file) return null;
    allowFolder(dirname(file));
    return file;
  });
  // A Slurm job folder outside the jobs root (a CLI job's --job_dir): picking it allows it, as above.
  ipcMain.handle(IPC_PICK_JOB_FOLDER, async (e): Promise<string | null> => {
    const win = trustedSender(e) ? BrowserWindow.fromWebContents(e.sender) : null;
    if (!win) return null;
    const picked = await dialog.showOpenDialog(win, { title: 'Slurm job folder', properties: ['openDirectory'] });
    const folder = picked.canceled ? undefined : picked.filePaths[0];
    if (!folder) return null;
    allowFolder(folder);
    return folder;
  });
  client.subscribeAll((event) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_EVENT, event);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Cancel running jobs and close the history database before the process goes.
let closed = false;
app.on('will-quit', (e) => {
  if (closed || !engine) return;
  e.preventDefault();
  void engine.close().finally(() => {
    closed = true;
    app.quit();
  });
});
