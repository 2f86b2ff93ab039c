import { timingSafeEqual } from "node:crypto";
import { hash } from "node:crypto";
import type { Logger } from "pino";
import uWS from "uWebSockets.js";
import type { ControlPlane } from "../control-plane.js";
import { mountControlPlane } from "./mount.js";

export interface ControlPlaneServerOptions {
  host: string;
  port: number;
  /** Data-plane nodes present it to fetch the whole snapshot. */
  nodeToken: string;
  graphiql: boolean;
  logger: Logger;
}

/**
 * The control plane on its own port (distributed mode): GraphQL and admin REST, the whole
 * snapshot for data-plane nodes at `GET /internal/snapshot` (node token), and health.
 */
export class ControlPlaneServer {
  private listenSocket: uWS.us_listen_socket | undefined;
  private app: uWS.TemplatedApp | undefined;
  private readonly tokenDigest: Buffer;
  /** The whole snapshot serialised once per version: at 100k keys that is ~120 ms of CPU. */
  private cachedJson: { version: number; json: string } | undefined;

  constructor(
    private readonly cp: ControlPlane,
    private readonly options: ControlPlaneServerOptions,
  ) {
    this.tokenDigest = hash("sha256", options.nodeToken, "buffer");
  }

  get port(): number {
    return this.listenSocket === undefined ? 0 : uWS.us_socket_local_port(this.listenSocket);
  }

  async start(): Promise<number> {
    const app = uWS.App();
    mountControlPlane(app, this.cp, { graphiql: this.options.graphiql });
    app.get("/internal/snapshot", (res, req) => {
      const auth = req.getHeader("authorization");
      const token = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "";
      if (!timingSafeEqual(hash("sha256", token, "buffer"), this.tokenDigest)) {
        res.writeStatus("401 Unauthorized").writeHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            error: {
              message: "Invalid node token.",
              type: "authentication_error",
              param: null,
              code: "invalid_node_token",
            },
          }),
        );
        return;
      }
      res.writeHeader("content-type", "application/json").end(this.snapshotJson());
    });
    const alive = JSON.stringify("I'm alive!");
    app.get("/health/liveliness", (res) => {
      res.writeHeader("content-type", "application/json").end(alive);
    });
    app.get("/health/readiness", (res) => {
      res
        .writeHeader("content-type", "application/json")
        .end(
          JSON.stringify({ status: "healthy", snapshot: { version: this.cp.snapshot().version } }),
        );
    });
    app.any("/*", (res, req) => {
      res.writeStatus("404 Not Found").writeHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          error: {
            message: `Invalid URL (${req.getMethod().toUpperCase()} ${req.getUrl()})`,
            type: "invalid_request_error",
            param: null,
            code: "not_found",
          },
        }),
      );
    });
    this.app = app;
    const { host, port } = this.options;
    this.listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      app.listen(host, port, (socket) => {
        if (socket) resolve(socket);
        else
          reject(new Error(`Cannot listen on ${host}:${port} (address in use or not permitted)`));
      });
    });
    return this.port;
  }

  private snapshotJson(): string {
    const snapshot = this.cp.snapshot();
    if (this.cachedJson?.version !== snapshot.version) {
      this.cachedJson = { version: snapshot.version, json: JSON.stringify(snapshot) };
    }
    return this.cachedJson.json;
  }

  async stop(): Promise<void> {
    if (this.listenSocket !== undefined) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    (this.app as (uWS.TemplatedApp & { close?: () => void }) | undefined)?.close?.();
    this.app = undefined;
  }
}
