// The test tree's one layering rule (docs/architecture.md, "Where do I put…"): test/rig/, which
// stands up Kubernetes and its runtime, imports nothing from test/support/, Petrel's own helpers;
// test/support/ may import test/rig/. eslint.config.js holds it for static imports (a probe in
// layering.unit.test.ts); this test reads the rig's files themselves, so that an import() or a
// require() counts too, and names each offending file and line.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = join(__dirname, "..", "..");
const rigDir = join(root, "test", "rig");
const supportDir = join(root, "test", "support");

/** The module specifiers a TypeScript file names: import/export … from, bare import, import(), require(), jest.mock(). */
function specifiersOf(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  const forms = [
    /\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\b(?:import|require|jest\.mock)\s*\(\s*["']([^"']+)["']/g,
  ];
  for (const form of forms) {
    for (const m of text.matchAll(form)) {
      out.push({ specifier: m[1] as string, line: text.slice(0, m.index).split("\n").length });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFilesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** `file:line imports specifier` for each import of `file` that resolves into test/support/. */
function supportImports(file: string, text: string): string[] {
  return specifiersOf(text)
    .filter(({ specifier }) => specifier.startsWith("."))
    .filter(({ specifier }) => {
      const target = resolve(dirname(file), specifier);
      return target === supportDir || target.startsWith(`${supportDir}/`);
    })
    .map(({ specifier, line }) => `${relative(root, file)}:${line} imports ${specifier}`);
}

test("the scanner finds each form of import, with its line", () => {
  const text = [
    'import { a } from "../support/a.ts";',
    'import type { B } from "./b.ts";',
    'import "../support/c.ts";',
    'export { d } from "./d.ts";',
    'const e = await import("../support/e.ts");',
    'const f = require("./f.ts");',
    "import {",
    "  g,",
    '} from "../support/g.ts";',
  ].join("\n");
  expect(specifiersOf(text)).toEqual([
    { specifier: "../support/a.ts", line: 1 },
    { specifier: "./b.ts", line: 2 },
    { specifier: "../support/c.ts", line: 3 },
    { specifier: "./d.ts", line: 4 },
    { specifier: "../support/e.ts", line: 5 },
    { specifier: "./f.ts", line: 6 },
    { specifier: "../support/g.ts", line: 7 },
  ]);
  expect(supportImports(join(rigDir, "probe.ts"), text)).toEqual([
    "test/rig/probe.ts:1 imports ../support/a.ts",
    "test/rig/probe.ts:3 imports ../support/c.ts",
    "test/rig/probe.ts:5 imports ../support/e.ts",
    "test/rig/probe.ts:7 imports ../support/g.ts",
  ]);
});

test("test/rig/ imports nothing from test/support/", () => {
  const files = tsFilesUnder(rigDir);
  // The rig is there and its files import each other: the scan reads real imports.
  expect(files.length).toBeGreaterThan(20);
  const texts = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
  expect([...texts.values()].flatMap((t) => specifiersOf(t)).filter((s) => s.specifier.startsWith("./")).length).toBeGreaterThan(30);
  expect(files.flatMap((f) => supportImports(f, texts.get(f) ?? ""))).toEqual([]);
});
