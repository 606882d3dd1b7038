/// <reference types="vite/client" />
import type { StudioApi } from '../shared/contract/api.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload (main/app/preload.ts); absent in the web mode. */
    bottleneckStudio?: StudioApi;
  }
}
export {};
