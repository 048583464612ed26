// Lints code placed at paths of the repository, with its eslint.config.js, without writing files:
// reads [{ filePath, code }] as JSON on stdin, prints [{ filePath, fatal, messages: [{ ruleId,
// message }] }] on stdout. Run from the repository root (layering.unit.test.ts does). A program
// of its own because ESLint loads its config with import(), which jest's CommonJS runtime refuses
// without --experimental-vm-modules.
import { readFileSync } from "node:fs";
import { ESLint } from "eslint";

export interface Probe {
  readonly filePath: string;
  readonly code: string;
}
export interface ProbeResult {
  readonly filePath: string;
  readonly fatal: boolean;
  readonly messages: readonly { readonly ruleId: string | null; readonly message: string }[];
}

const probes = JSON.parse(readFileSync(0, "utf8")) as Probe[];
const eslint = new ESLint({ cwd: process.cwd() });
const results: ProbeResult[] = [];
for (const { filePath, code } of probes) {
  const [r] = await eslint.lintText(code, { filePath, warnIgnored: true });
  if (r === undefined) throw new Error(`ESLint returned no result for ${filePath}`);
  results.push({ filePath, fatal: r.fatalErrorCount > 0, messages: r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })) });
}
process.stdout.write(JSON.stringify(results));
