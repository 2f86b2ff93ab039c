import { describe, expect, it } from "vitest";
import {
  DEFAULT_DATABASE_URL,
  parseDatabaseUrl,
  redactDatabaseUrl,
  resolveDatabaseUrl,
} from "../../prisma/database-url.js";

describe("resolveDatabaseUrl", () => {
  it("prefers DATABASE_URL, then general_settings.database_url, then the embedded default", () => {
    const config = "postgresql://cfg@db/app";
    expect(resolveDatabaseUrl(config, { DATABASE_URL: "file:./env.db" })).toBe("file:./env.db");
    expect(resolveDatabaseUrl(config, {})).toBe(config);
    expect(resolveDatabaseUrl(undefined, { DATABASE_URL: "  " })).toBe(DEFAULT_DATABASE_URL);
    expect(DEFAULT_DATABASE_URL).toBe("file:./data/switchyard.db");
  });
});

describe("parseDatabaseUrl", () => {
  const cwd = "/srv/app";

  it("resolves Prisma file: URLs against the working directory", () => {
    expect(parseDatabaseUrl("file:./data/switchyard.db", cwd)).toEqual({
      provider: "sqlite",
      path: "/srv/app/data/switchyard.db",
    });
    expect(parseDatabaseUrl("file:/var/lib/s.db?connection_limit=1", cwd)).toEqual({
      provider: "sqlite",
      path: "/var/lib/s.db",
    });
    expect(parseDatabaseUrl("file:///var/lib/s.db", cwd)).toEqual({
      provider: "sqlite",
      path: "/var/lib/s.db",
    });
  });

  it("maps LiteLLM's sqlite:/// (relative) and sqlite://// (absolute) URLs to files", () => {
    expect(parseDatabaseUrl("sqlite:///litellm.db", cwd)).toEqual({
      provider: "sqlite",
      path: "/srv/app/litellm.db",
    });
    expect(parseDatabaseUrl("sqlite:////var/lib/litellm.db", cwd)).toEqual({
      provider: "sqlite",
      path: "/var/lib/litellm.db",
    });
  });

  it("keeps Postgres URLs and lifts Prisma's ?schema= out of them", () => {
    expect(parseDatabaseUrl("postgres://u:p@db:5432/app")).toEqual({
      provider: "postgresql",
      url: "postgres://u:p@db:5432/app",
    });
    expect(parseDatabaseUrl("postgresql://u@db/app?schema=gw&sslmode=require")).toEqual({
      provider: "postgresql",
      url: "postgresql://u@db/app?sslmode=require",
      schema: "gw",
    });
  });

  it("refuses other URLs without echoing a password", () => {
    expect(() => parseDatabaseUrl("mysql://root:hunter2@db/app")).toThrow(
      /unsupported.*file:\.\/path\.db/,
    );
    expect(() => parseDatabaseUrl("mysql://root:hunter2@db/app")).not.toThrow(/hunter2/);
  });
});

describe("redactDatabaseUrl", () => {
  it("hides the password and the query string", () => {
    expect(redactDatabaseUrl("postgresql://u:secret@db:5432/app?password=x")).toBe(
      "postgresql://u:***@db:5432/app",
    );
    expect(redactDatabaseUrl("postgresql://u@db/app")).toBe("postgresql://u@db/app");
  });
});
