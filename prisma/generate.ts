/**
 * `npm run db:generate`: derives prisma/postgresql/schema.prisma from prisma/schema.prisma and
 * generates both Prisma clients (and the Pothos types) into generated/, with no network.
 *
 * Every Prisma CLI command first fetches the native schema engine; `generate` never runs it,
 * so pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing executable (node itself) is enough.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, relative } from "node:path";
import { PROVIDERS, type Provider, schemaPath, schemaText } from "./schemas.js";

const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");

writeIfChanged(schemaPath("postgresql"), schemaText("postgresql"));
const results = await Promise.allSettled(PROVIDERS.map(generate));
const failed = results.filter((r) => r.status === "rejected");
for (const r of failed) console.error(String(r.reason));
if (failed.length > 0) process.exit(1);

function generate(provider: Provider): Promise<void> {
  const schema = schemaPath(provider);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "generate", "--schema", schema], {
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `prisma generate --schema ${relative(process.cwd(), schema)} failed (${signal ?? `exit ${code}`})`,
          ),
        );
    });
  });
}

function writeIfChanged(path: string, text: string): void {
  let current: string | undefined;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    current = undefined;
  }
  if (current === text) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
