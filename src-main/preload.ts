// Sandboxed preload: exposes only the typed API bridge, never Node itself.
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('bild', {
  request: (channel: string, payload: unknown): Promise<unknown> => ipcRenderer.invoke(`bild:${channel}`, payload),
});
