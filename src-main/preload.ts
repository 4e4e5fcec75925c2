// Sandboxed preload (bundled to one CommonJS file): exposes only the typed request/event bridge,
// never Node or ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_PICK_FILE, IPC_PICK_JOB_FOLDER, IPC_REQUEST, type BildBridge, type HostEvent } from './host/protocol';

const bridge: BildBridge = {
  request: (method, args) => ipcRenderer.invoke(IPC_REQUEST, method, args),
  onEvent(listener) {
    const handler = (_e: IpcRendererEvent, event: HostEvent): void => listener(event);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT, handler);
  },
  pickFile: () => ipcRenderer.invoke(IPC_PICK_FILE) as Promise<string | null>,
  pickJobFolder: () => ipcRenderer.invoke(IPC_PICK_JOB_FOLDER) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('bild', bridge);
