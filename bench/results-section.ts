// The distributed-mode section of bench/RESULTS.md: one block between `<!-- propagation -->`
// and `<!-- /propagation -->`, made of parts (one per bench configuration) that each rerun
// replaces in place. Everything outside the block is left as it is.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";

export const RESULTS_PATH = new URL("./RESULTS.md", import.meta.url);

const OPEN = "<!-- propagation -->";
const CLOSE = "<!-- /propagation -->";
const HEADING = [
  "## Distributed mode: change propagation and snapshot scale",
  "",
  "Written by `npm run bench:propagation` and `npm run bench:snapshot`; each configuration",
  "replaces only its own part below. `npm run bench` rewrites the whole file: rerun these",
  "after it (or have bench/run.ts call `keepPropagationSection` from bench/results-section.ts).",
];

/** Writes (or replaces) part `id` of the section; returns the file's path. */
export function writeResultsPart(id: string, markdown: string): string {
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, "utf8") : "";
  writeFileSync(RESULTS_PATH, withPart(text, id, markdown.trimEnd()));
  return RESULTS_PATH.pathname;
}

/**
 * For a writer of the whole file (bench/run.ts): `fresh` with the section carried over
 * from `previous`, so that `npm run bench` does not erase it.
 */
export function keepPropagationSection(fresh: string, previous: string): string {
  const block = findBlock(previous);
  if (block === undefined || findBlock(fresh) !== undefined) return fresh;
  return `${fresh.trimEnd()}\n\n${previous.slice(block.start, block.end)}\n`;
}

/** `fresh` with the `<!-- name -->`…`<!-- /name -->` block of `previous` carried over. */
export function keepMarkedBlock(fresh: string, previous: string, name: string): string {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const start = previous.indexOf(open);
  const end = previous.indexOf(close, start);
  if (start < 0 || end < 0 || fresh.includes(open)) return fresh;
  return `${fresh.trimEnd()}\n\n${previous.slice(start, end + close.length)}\n`;
}

function withPart(text: string, id: string, markdown: string): string {
  const block = findBlock(text);
  const parts = block === undefined ? [] : readParts(text.slice(block.start, block.end));
  const existing = parts.find((p) => p.id === id);
  if (existing === undefined) parts.push({ id, body: markdown });
  else existing.body = markdown;
  const rendered = [
    OPEN,
    ...HEADING,
    "",
    ...parts
      .sort((x, y) => x.id.localeCompare(y.id))
      .flatMap((p) => [
        `<!-- propagation:${p.id} -->`,
        p.body,
        `<!-- /propagation:${p.id} -->`,
        "",
      ]),
    CLOSE,
  ].join("\n");
  if (block === undefined) return `${text.trimEnd()}\n\n${rendered}\n`;
  return text.slice(0, block.start) + rendered + text.slice(block.end);
}

function findBlock(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf(OPEN);
  if (start < 0) return undefined;
  const close = text.indexOf(CLOSE, start);
  if (close < 0) return undefined;
  return { start, end: close + CLOSE.length };
}

function readParts(block: string): { id: string; body: string }[] {
  const parts: { id: string; body: string }[] = [];
  const re = /<!-- propagation:([\w.-]+) -->\n([\s\S]*?)\n<!-- \/propagation:\1 -->/g;
  for (let m = re.exec(block); m !== null; m = re.exec(block)) {
    parts.push({ id: m[1]!, body: m[2]! });
  }
  return parts;
}

/** One line on where the numbers came from. */
export function machineLine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
  return `${os.availableParallelism()} CPUs (${cpuModel()}), Node ${process.version}, Linux ${os.release()}, load average at start ${load}`;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return match?.[1]?.trim() ?? "unknown CPU model";
  } catch {
    return "unknown CPU model";
  }
}

/**
 * Writes (or replaces) the `<!-- name -->`…`<!-- /name -->` block of RESULTS.md with
 * `markdown`; appended when the file has none. Returns the file's path.
 */
export function writeMarkedSection(name: string, markdown: string): string {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const block = `${open}\n\n${markdown.trimEnd()}\n\n${close}`;
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, "utf8") : "";
  const start = text.indexOf(open);
  const end = start < 0 ? -1 : text.indexOf(close, start);
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + block + text.slice(end + close.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, next);
  return RESULTS_PATH.pathname;
}
