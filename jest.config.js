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
      // Pure helpers of the test tree (plots, the demo's parsing) are unit tests too: *.unit.test.ts.
      testMatch: ["<rootDir>/{common,cni-plugin,controller,bgp}/**/*.test.ts", "<rootDir>/test/**/*.unit.test.ts"],
    },
    {
      displayName: "privileged",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "\\.unit\\.test\\.ts$"],
      // The timeout (jest ignores a project's testTimeout) and the forwarding sysctls each file
      // restores: test/support/privileged-setup.ts.
      setupFilesAfterEnv: ["<rootDir>/test/support/privileged-setup.ts"],
    },
  ],
};
