/**
 * Writes the GraphQL SDL to `schema/schema.graphql` (`npm run graphql:schema`). The file is
 * committed so that reviews show API changes; a test fails when it drifts from the code.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printSchemaSDL } from "./schema.js";

export const SCHEMA_FILE = fileURLToPath(new URL("../../schema/schema.graphql", import.meta.url));

await writeFile(SCHEMA_FILE, printSchemaSDL());
console.log(`wrote ${SCHEMA_FILE}`);
