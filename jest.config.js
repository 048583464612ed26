// Two projects: `unit` (pure code, tests beside it, no privileges) and `privileged`
// (real network namespaces, real runtimes; run as root, one file at a time).
const transform = {
  "^.+\\.ts$": [
    "@swc/jest",
    {
      jsc: { parser: { syntax: "typescript" }, target: "es2022" },
      module: { type: "commonjs" },
    },
  ],
};

export default {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/{common,cni-plugin,controller,bgp}/**/*.test.ts"],
    },
    {
      displayName: "privileged",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      // Each file restores the root namespace's forwarding sysctls (test/support/host-sysctls.ts).
      setupFilesAfterEnv: ["<rootDir>/test/support/restore-host-sysctls.ts"],
      testTimeout: 120000,
    },
  ],
};
