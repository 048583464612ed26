// Regenerates common/api/v1alpha1.ts from crds/*.yaml: `node test/scripts/gen-api-types.ts`.
// With --check, writes nothing and exits 1 when the file is out of date.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_FILE, GENERATOR_COMMAND, generateApiTypes, selectCrdFiles } from "./api-types/generate.ts";

const root = join(import.meta.dirname, "..", "..");
const crdDir = join(root, "crds");
const target = join(root, GENERATED_FILE);

const check = process.argv.includes("--check");
const texts = selectCrdFiles(readdirSync(crdDir)).map((name) => readFileSync(join(crdDir, name), "utf8"));
const generated = generateApiTypes(texts);
let current: string | undefined;
try {
  current = readFileSync(target, "utf8");
} catch {
  current = undefined;
}

if (current === generated) {
  console.log(`${GENERATED_FILE} is up to date (${texts.length} CRD files)`);
} else if (check) {
  console.error(`${GENERATED_FILE} is out of date with crds/: run \`${GENERATOR_COMMAND}\``);
  process.exitCode = 1;
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${GENERATED_FILE} (${texts.length} CRD files)`);
}
