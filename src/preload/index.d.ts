import type { InlayApi } from '../shared/contract'

declare global {
  interface Window {
    /** Present in Electron (set by the preload); absent in browser mode. */
    inlay?: InlayApi
  }
}
