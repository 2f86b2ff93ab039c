import uWS from "uWebSockets.js";

/**
 * The uWS package silently falls back to a slow pure-JS server when its native binary does
 * not load. Native addon functions stringify as `[native code]`; the fallback's do not.
 */
export function assertNativeUws(): void {
  if (!Function.prototype.toString.call(uWS.App).includes("[native code]")) {
    throw new Error(
      "uWebSockets.js is running its JavaScript fallback, not the native build " +
        "(unsupported platform or Node.js ABI, or UWS_USE_FALLBACK set). Refusing to start.",
    );
  }
}
