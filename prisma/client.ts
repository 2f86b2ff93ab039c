/**
 * Opens the database named by a URL with the matching generated Prisma client and driver
 * adapter: SQLite (better-sqlite3) or PostgreSQL (node-postgres). No native engine involved.
 */
import type {
  Prisma as PostgresPrisma,
  PrismaClient as PostgresPrismaClient,
} from "../generated/postgresql/client.js";
import type {
  Prisma as SqlitePrisma,
  PrismaClient as SqlitePrismaClient,
} from "../generated/sqlite/client.js";
import { parseDatabaseUrl } from "./database-url.js";
import type { Provider } from "./schemas.js";

export {
  DEFAULT_DATABASE_URL,
  parseDatabaseUrl,
  redactDatabaseUrl,
  resolveDatabaseUrl,
} from "./database-url.js";
export type { Provider } from "./schemas.js";
/** Input and row types, from the canonical (SQLite) client; they fit both clients. */
export type {
  AuditLog,
  DailySpend,
  Deployment,
  Organization,
  Prisma,
  SpendLog,
  Team,
  TeamMembership,
  User,
  VirtualKey,
} from "../generated/sqlite/client.js";

/**
 * The client type app code uses, whatever the provider. Both generated clients come from one
 * schema and have the same model API; the SQLite one is the canonical type.
 */
export type PrismaClient = SqlitePrismaClient;

export interface Database {
  prisma: PrismaClient;
  provider: Provider;
  /** Disconnects the client (and closes the file / pool). Safe to call twice. */
  close(): Promise<void>;
}

export async function openDatabase(databaseUrl: string): Promise<Database> {
  const target = parseDatabaseUrl(databaseUrl);
  let prisma: PrismaClient;
  if (target.provider === "sqlite") {
    const [{ PrismaClient }, { PrismaBetterSqlite3 }] = await Promise.all([
      import("../generated/sqlite/client.js"),
      import("@prisma/adapter-better-sqlite3"),
    ]);
    // `timeout`: wait this long on a locked file (e.g. `switchyard migrate` running alongside).
    prisma = new PrismaClient({
      adapter: new PrismaBetterSqlite3({ url: target.path, timeout: 5_000 }),
    });
  } else {
    const [{ PrismaClient }, { PrismaPg }] = await Promise.all([
      import("../generated/postgresql/client.js"),
      import("@prisma/adapter-pg"),
    ]);
    const adapter = new PrismaPg(
      { connectionString: target.url },
      target.schema ? { schema: target.schema } : undefined,
    );
    prisma = asAppClient(new PrismaClient({ adapter }));
  }
  let closing: Promise<void> | undefined;
  return {
    prisma,
    provider: target.provider,
    close: () => {
      closing ??= prisma.$disconnect();
      return closing;
    },
  };
}

// The one structural cast. TypeScript cannot relate the two generated clients' generic
// delegates (same shapes, distinct declarations; the Postgres one also accepts more filters,
// e.g. `mode`), so the assignment fails without it. The checks below prove at compile time
// that the two clients expose the same members, models and row shapes.
function asAppClient(client: PostgresPrismaClient): PrismaClient {
  return client as unknown as PrismaClient;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SamePayloads = {
  [M in SqlitePrisma.ModelName]: M extends PostgresPrisma.ModelName
    ? Same<
        PostgresPrisma.TypeMap["model"][M]["payload"],
        SqlitePrisma.TypeMap["model"][M]["payload"]
      >
    : false;
}[SqlitePrisma.ModelName];
const clientsMatch: [
  Same<keyof PostgresPrismaClient, keyof SqlitePrismaClient>,
  Same<PostgresPrisma.ModelName, SqlitePrisma.ModelName>,
  Same<SamePayloads, true>,
] = [true, true, true];
void clientsMatch;
