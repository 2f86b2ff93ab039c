import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfigText } from "../../control-plane/config/load-config.js";

/** No Docker engine runs here: the file is checked as data, against the real CLI. */
const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(`${root}/${path}`, "utf8");

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** Node options each service runs with (data-plane: one V8 helper thread, see the README). */
const NODE_OPTIONS = { "control-plane": [], "data-plane": ["--v8-pool-size=1"] };

/** The flags `switchyard <command> --help` lists. */
function cliFlags(command: string): Set<string> {
  const help = execFileSync(
    process.execPath,
    ["--import", "tsx", "cli/main.ts", command, "--help"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  return new Set(help.match(/--[a-z-]+/g) ?? []);
}

describe("docker-compose.yml, the production-like topology", () => {
  it("has postgres, redis, a control plane, two data-plane replicas and a load balancer, each with a healthcheck", () => {
    for (const name of ["postgres", "redis", "control-plane", "data-plane", "load-balancer"]) {
      expect(services[name], name).toBeDefined();
      expect(services[name]?.healthcheck?.test.length, `${name} healthcheck`).toBeGreaterThan(0);
    }
    expect(services["data-plane"]?.deploy?.replicas).toBe(2);
    expect(services["load-balancer"]?.ports).toContain("8000:8000");
    expect(services["control-plane"]?.ports).toContain("4000:4000");
  });

  it("starts each process only once what it needs is healthy", () => {
    expect(services["control-plane"]?.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(services["control-plane"]?.depends_on?.redis?.condition).toBe("service_healthy");
    expect(services["data-plane"]?.depends_on?.["control-plane"]?.condition).toBe(
      "service_healthy",
    );
    expect(services["load-balancer"]?.depends_on?.["data-plane"]?.condition).toBe(
      "service_healthy",
    );
  });

  it("runs commands and flags the CLI really has, with the environment it reads", () => {
    for (const name of ["control-plane", "data-plane"] as const) {
      const full = services[name]?.command ?? [];
      // Node's own options go between `node` and the script.
      const script = full.indexOf("dist/cli/main.js");
      expect(full[0]).toBe("node");
      expect(full.slice(1, script)).toEqual(NODE_OPTIONS[name]);
      const command = ["node", ...full.slice(script)];
      expect(command.slice(0, 3)).toEqual(["node", "dist/cli/main.js", name]);
      const flags = cliFlags(name);
      for (const arg of command.filter((a) => a.startsWith("--")))
        expect(flags, `${name} ${arg}`).toContain(arg);
      const env = services[name]?.environment ?? {};
      for (const variable of ["DATABASE_URL", "REDIS_URL", "SWITCHYARD_NODE_TOKEN"]) {
        expect(env[variable], `${name} ${variable}`).toBeTruthy();
      }
    }
  });

  it("points the load balancer at the data-plane replicas, unbuffered for streams", () => {
    const nginx = read("deploy/nginx.conf");
    expect(nginx).toMatch(/server data-plane:8000/);
    expect(nginx).toMatch(/proxy_buffering off/);
    expect(services["load-balancer"]?.image).toMatch(/^nginx/);
  });

  it("mounts a control-plane config that loads", () => {
    const { config } = parseConfigText(read("deploy/config.yaml"), "deploy/config.yaml", {
      SWITCHYARD_MASTER_KEY: "sk-test",
    });
    expect(config.general_settings?.master_key).toBe("sk-test");
    expect(services["control-plane"]?.command).toContain("/app/deploy/config.yaml");
  });
});
