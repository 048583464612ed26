// Regenerates the API types in common/api/ (one file per kind and the index v1alpha1.ts) from
// crds/*.yaml: `node test/scripts/gen-api-types.ts`. With --check, writes nothing and exits 1
// when any of them is out of date, missing, or left from a kind that is gone.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiTypesDrift } from "./api-types/committed.ts";
import { GENERATED_DIR, GENERATOR_COMMAND, generateApiTypes, selectCrdFiles } from "./api-types/generate.ts";

const root = join(import.meta.dirname, "..", "..");
const crdDir = join(root, "crds");

const check = process.argv.includes("--check");
const texts = selectCrdFiles(readdirSync(crdDir)).map((name) => readFileSync(join(crdDir, name), "utf8"));
const generated = generateApiTypes(texts);
const drift = apiTypesDrift(root, generated);

if (drift.report.length === 0) {
  console.log(`${GENERATED_DIR}: ${generated.length} generated files are up to date (${texts.length} CRD files)`);
} else if (check) {
  console.error(`${GENERATED_DIR} is out of date with crds/: run \`${GENERATOR_COMMAND}\`\n${drift.report.join("\n")}`);
  process.exitCode = 1;
} else {
  for (const file of drift.write) {
    writeFileSync(join(root, file.path), file.text);
    console.log(`wrote ${file.path}`);
  }
  for (const path of drift.remove) {
    rmSync(join(root, path));
    console.log(`removed ${path} (no CRD of its kind any more)`);
  }
}
