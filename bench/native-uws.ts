import uWS from "uWebSockets.js";

/**
 * The uWS package silently falls back to a slow pure-JS server when its binary does not load;
 * a benchmark on that fallback would measure the wrong thing, so refuse to run.
 */
export function assertNativeUws(): void {
  if (!String(uWS.App).includes("[native code]")) {
    throw new Error("uWebSockets.js native binary is not loaded (pure-JS fallback in use)");
  }
}

export function listenEphemeral(app: uWS.TemplatedApp, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    app.listen(host, 0, (socket) => {
      if (socket === false) {
        reject(new Error(`cannot listen on ${host}`));
        return;
      }
      resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
    });
  });
}

/** Exit when the harness goes away, even if it was killed without cleaning up. */
export function exitWithParent(): void {
  const exit = (reason: string) => () => {
    process.stderr.write(`exiting: ${reason}\n`);
    process.exit(0);
  };
  process.on("disconnect", exit("harness disconnected"));
  process.on("SIGTERM", exit("SIGTERM"));
  process.on("SIGINT", exit("SIGINT"));
}
