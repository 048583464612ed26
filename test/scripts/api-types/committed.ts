// The generated API type files as they are in the checkout, against a fresh generation: for
// test/scripts/gen-api-types.ts (writes or, with --check, only reports) and the unit test
// common/api/v1alpha1.test.ts. A file of GENERATED_DIR is the generator's when its first line is
// GENERATED_HEADER, so one left behind by a removed kind counts as stale.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_DIR, GENERATED_HEADER, type GeneratedFile } from "./generate.ts";

/** The generated files in the checkout at `root`. */
export function committedApiFiles(root: string): GeneratedFile[] {
  const dir = join(root, GENERATED_DIR);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .sort()
    .map((name) => ({ path: `${GENERATED_DIR}/${name}`, text: readFileSync(join(dir, name), "utf8") }))
    .filter((f) => f.text.startsWith(`${GENERATED_HEADER}\n`));
}

function firstDifference(committed: string, generated: string): string {
  const have = committed.split("\n");
  const want = generated.split("\n");
  let line = 0;
  while (line < have.length && have[line] === want[line]) line++;
  return `first difference at line ${line + 1}:\n  committed: ${have[line] ?? "(end of file)"}\n  generated: ${want[line] ?? "(end of file)"}`;
}

export interface Drift {
  /** Generated files that are missing or differ, to be written. */
  readonly write: GeneratedFile[];
  /** Generated files of kinds that are gone, to be removed. */
  readonly remove: string[];
  /** One line (or a few) per file, for a person. */
  readonly report: string[];
}

/** How the checkout at `root` differs from `generated`; empty lists when it is up to date. */
export function apiTypesDrift(root: string, generated: readonly GeneratedFile[]): Drift {
  const committed = new Map(committedApiFiles(root).map((f) => [f.path, f.text]));
  const write: GeneratedFile[] = [];
  const report: string[] = [];
  for (const file of generated) {
    const have = committed.get(file.path);
    if (have === file.text) continue;
    write.push(file);
    report.push(have === undefined ? `${file.path}: missing` : `${file.path}: out of date, ${firstDifference(have, file.text)}`);
  }
  const wanted = new Set(generated.map((f) => f.path));
  const remove = [...committed.keys()].filter((path) => !wanted.has(path));
  for (const path of remove) report.push(`${path}: generated, but for no CRD any more`);
  return { write, remove, report };
}
