// Layering rules (see docs/architecture.md):
//  - common/ is shared by every program and imports none of them.
//  - cni-plugin/, controller/ and bgp/ import common/ but never each other.
//  - Only "edge" code may touch the host: files under a `host/` folder, program entry points
//    (`main.ts`), tests, scripts and benchmarks. Everything else is pure and is tested as such.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const hostModules = [
  "node:fs", "node:fs/promises", "node:child_process", "node:net", "node:os", "node:dgram",
  "fs", "fs/promises", "child_process", "net", "os", "bun", "bun:ffi",
];
const hostModuleRule = hostModules.map((name) => ({
  name,
  message: "Host access belongs in a `host/` module behind an interface declared by its user.",
}));
const programs = ["cni-plugin", "controller", "bgp"];
const noSpawnInPlugin = "The CNI plugin must not run other programs (no ip, no nsenter): use its netlink module.";
const otherPrograms = (self) => [
  ...programs.filter((p) => p !== self).map((p) => ({
    group: [`**/${p}/**`],
    message: `${self}/ must not import ${p}/: share code through common/.`,
  })),
  // common/host/ may run programs for the agent and petrelctl (flock(1) for the plugin's locks);
  // the plugin takes those locks with flock(2) and runs nothing.
  ...(self === "cni-plugin" ? [{ group: ["**/common/host/plugin-locks*"], message: noSpawnInPlugin }] : []),
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    files: ["common/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: hostModuleRule,
        patterns: programs.map((p) => ({ group: [`**/${p}/**`], message: "common/ imports no program." })),
      }],
    },
  },
  ...programs.map((p) => ({
    files: [`${p}/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", { paths: hostModuleRule, patterns: otherPrograms(p) }],
    },
  })),
  ...programs.map((p) => ({
    // Edge code: allowed to touch the host, still not allowed to cross program boundaries.
    files: [`${p}/**/host/**/*.ts`, `${p}/**/main.ts`],
    rules: { "no-restricted-imports": ["error", { patterns: otherPrograms(p) }] },
  })),
  {
    // The CNI plugin runs no other program on any verb: its kernel work is netlink (docs/cni-plugin.md).
    files: ["cni-plugin/**/host/**/*.ts", "cni-plugin/**/main.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["node:child_process", "child_process"].map((name) => ({ name, message: noSpawnInPlugin })),
        patterns: otherPrograms("cni-plugin"),
      }],
    },
  },
  {
    files: ["cni-plugin/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error", ...["spawn", "spawnSync", "$"].map((property) => ({ object: "Bun", property, message: noSpawnInPlugin }))],
    },
  },
  {
    files: ["common/host/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: programs.map((p) => ({ group: [`**/${p}/**`], message: "common/ imports no program." })),
      }],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: { "no-restricted-imports": "off", "no-console": "off" },
  },
);
