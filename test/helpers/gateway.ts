import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type EmbeddedGateway, startEmbeddedGateway } from "../../cli/embedded.js";

export interface TestGateway {
  /** http://127.0.0.1:PORT (no /v1). */
  origin: string;
  gateway: EmbeddedGateway;
  stop(): Promise<void>;
}

/** Starts the embedded gateway in this process, on a free port, from a YAML text. */
export async function startTestGateway(
  yaml: string,
  env: NodeJS.ProcessEnv = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-test-"));
  const file = join(dir, "config.yaml");
  await writeFile(file, yaml);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const gateway = await startEmbeddedGateway({
    configFile: file,
    host: "127.0.0.1",
    port: 0,
    logger,
    // Each gateway gets its own database, so test files can run in parallel.
    env: { DATABASE_URL: `file:${join(dir, "switchyard.db")}`, ...env },
  });
  return {
    origin: `http://127.0.0.1:${gateway.port}`,
    gateway,
    stop: async () => {
      await gateway.stop(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
