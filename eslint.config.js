// Layering rules: docs/architecture.md ("Rules" and the picture) says them in words; this file
// holds them, and test/lint/layering.unit.test.ts shows that each one fails lint when broken.
//  - common/ is shared by every program and imports none of them.
//  - cni-plugin/, controller/ and bgp/ import common/ but never each other. Inside bgp/:
//    gobgp/ (the GoBGP client) knows nothing of Kubernetes nor of its users; agent/ drives
//    gobgp/; petrelctl/ imports only common/.
//  - Only "edge" code may touch the host: files under a `host/` folder, the programs' entry points
//    (listed below), tests, scripts and benchmarks. Everything else is pure and is tested as such:
//    it imports no host module, uses no host global, and imports no `host/` file (it declares the
//    port it needs; main.ts passes the host/ implementation in).
//  - `testing/` folders hold fakes for unit tests; product code imports none of them.
//  - In the test tree, test/rig/ (Kubernetes and its runtime) imports nothing from test/support/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// --- What counts as touching the host --------------------------------------------------------

// Node's modules that reach the file system, processes, the network or the machine. Not listed,
// because they compute only: path, crypto (hashes), util, zlib, url, timers.
const nodeHostModules = [
  "fs", "fs/promises", "child_process", "net", "os", "dgram", "http", "https", "http2", "dns",
  "dns/promises", "tls", "worker_threads", "process", "cluster", "readline", "readline/promises",
  "inspector", "v8",
];
const hostMessage = "Host access belongs in a `host/` module behind an interface declared by its user (or in main.ts, which passes the value in).";
// Packages of package.json that touch the host: winston writes to stderr; the Kubernetes client,
// gRPC and protobufjs's loader open connections or read files. commander is allowed: pure code
// only builds a Command, main.ts parses process.argv. yaml and ipaddr.js compute only.
const hostPackagePatterns = ["bun", "bun:*", "winston", "winston/*", "@kubernetes/*", "@grpc/*", "protobufjs", "protobufjs/*"];
const hostPaths = [
  ...nodeHostModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: hostMessage })),
  // prom-client's registry and metrics are in-memory; its default collectors read /proc and watch
  // the event loop, so main.ts adds them to the program's registry.
  { name: "prom-client", importNames: ["collectDefaultMetrics"], message: `${hostMessage} Call collectDefaultMetrics from main.ts.` },
];
const hostPatterns = [{ group: hostPackagePatterns, message: hostMessage }];
// Globals that reach the host: `process` (env, argv, exit, stdio, versions), Bun's API, fetch.
const hostGlobalNames = ["process", "Bun", "fetch"];
const hostGlobals = hostGlobalNames.map((name) => ({ name, message: "It reaches the host: read it in main.ts or a `host/` module and pass the value in (e.g. `env: NodeJS.ProcessEnv` as a parameter)." }));
const hostGlobalProperties = ["globalThis", "global"].flatMap((object) =>
  hostGlobalNames.map((property) => ({ object, property, message: hostMessage })));

// Pure code imports no edge code and no test fake.
const hostFolder = { group: ["**/host/**", "host/**"], message: "Pure code does not import a `host/` module: declare the interface it needs beside its user (a port) and let main.ts pass the host/ implementation in." };
const testingFolder = { group: ["**/testing/**", "testing/**"], message: "`testing/` holds fakes for unit tests: product code does not import it." };

// --- Program boundaries -----------------------------------------------------------------------

const programs = ["cni-plugin", "controller", "bgp"];
/** The programs' entry points (test/scripts/build.ts bundles exactly these); edge code. */
const entryPoints = [
  "cni-plugin/main.ts", "cni-plugin/cni-installer/main.ts", "controller/main.ts",
  "bgp/agent/main.ts", "bgp/petrelctl/main.ts",
];
const noSpawnInPlugin = "The CNI plugin must not run other programs (no ip, no nsenter): use its netlink module.";
const pluginProperties = ["spawn", "spawnSync", "$"].map((property) => ({ object: "Bun", property, message: noSpawnInPlugin }));
const noTestTree = { group: ["**/test/**"], message: "Product code imports nothing from test/: a shared helper belongs in common/." };
const notImport = (self, other, why) => ({ group: [`**/${other}/**`], message: `${self}/ must not import ${other}/: ${why}` });
const otherPrograms = (self) => programs.filter((p) => p !== self).map((p) => notImport(self, p, "share code through common/."));
const kubernetesFree = "bgp/gobgp/ is a client of gobgpd's API and knows nothing of Kubernetes";
/** common/ modules the GoBGP client may use: none of them knows of Kubernetes. Add one only if that holds. */
const commonForGobgp = ["cidr.ts", "errors.ts", "duration.ts", "log-types.ts"];

/**
 * Each area: its folder, the import boundaries that hold for all its files (pure and edge), and
 * extra rules for its edge files. Later areas refine earlier ones (bgp/ then its three parts).
 */
const areas = [
  { dir: "common", boundaries: programs.map((p) => ({ group: [`**/${p}/**`], message: "common/ imports no program." })) },
  {
    dir: "cni-plugin",
    boundaries: [
      ...otherPrograms("cni-plugin"),
      // common/host/ may run programs for the agent and petrelctl (flock(1) for the plugin's locks,
      // ip for the pod routes); the plugin takes those locks with flock(2) and runs nothing.
      { group: ["**/common/host/plugin-locks*", "**/common/host/run-program*", "**/common/host/pod-routes*"], message: noSpawnInPlugin },
    ],
    // The CNI plugin runs no other program on any verb: its kernel work is netlink (docs/cni-plugin.md).
    edgePaths: ["node:child_process", "child_process"].map((name) => ({ name, message: noSpawnInPlugin }))
      .concat([{ name: "bun", importNames: ["spawn", "spawnSync", "$"], message: noSpawnInPlugin }]),
    properties: pluginProperties,
  },
  { dir: "controller", boundaries: otherPrograms("controller") },
  { dir: "bgp", boundaries: otherPrograms("bgp") },
  {
    dir: "bgp/gobgp",
    boundaries: [
      ...otherPrograms("bgp"),
      notImport("bgp/gobgp", "agent", "the client knows nothing of its users."),
      notImport("bgp/gobgp", "petrelctl", "the client knows nothing of its users."),
      { group: ["@kubernetes/*"], message: `${kubernetesFree}.` },
      { group: ["**/common/**", ...commonForGobgp.map((f) => `!**/common/${f}`)], message: `${kubernetesFree}: it may import only common/{${commonForGobgp.join(",")}} (eslint.config.js, commonForGobgp).` },
    ],
  },
  {
    // The agent drives the GoBGP client (its pure API; gobgp/host/ only from the agent's main.ts).
    dir: "bgp/agent",
    boundaries: [...otherPrograms("bgp"), notImport("bgp/agent", "petrelctl", "petrelctl reads what the agent publishes through common/'s contracts.")],
  },
  {
    // petrelctl imports only common/: it reads what the agent publishes (PetrelNode status, the
    // /bgp/routes view of common/bgp-routes.ts, the plugin's records), never the agent's code.
    dir: "bgp/petrelctl",
    boundaries: [
      ...otherPrograms("bgp"),
      notImport("bgp/petrelctl", "agent", "petrelctl imports only common/ (it reads the agent's /bgp/routes view over HTTP on the node, common/bgp-routes.ts)."),
      notImport("bgp/petrelctl", "gobgp", "petrelctl imports only common/; it asks the agent, not gobgpd."),
    ],
  },
];

const importRule = (paths, patterns) => ["error", { paths, patterns }];
// no-restricted-imports sees only static imports; product code has no other kind.
const staticImportsOnly = ["error", { selector: "ImportExpression", message: "Import statically (import … from), so that lint can check what product code imports." }];
const propertiesRule = (properties) => (properties.length === 0 ? "off" : ["error", ...properties]);

/** Four config objects per area: pure files, pure fakes in testing/, edge files, edge fakes. */
function areaConfigs({ dir, boundaries, edgePaths = [], properties = [] }) {
  const all = [`${dir}/**/*.ts`];
  const testing = [`${dir}/**/testing/**/*.ts`];
  const edge = [`${dir}/**/host/**/*.ts`, ...entryPoints.filter((e) => e.startsWith(`${dir}/`))];
  const edgeTesting = [`${dir}/**/host/**/testing/**/*.ts`];
  const pureRules = (withTesting) => ({
    "no-restricted-imports": importRule(hostPaths, [...boundaries, noTestTree, ...hostPatterns, hostFolder, ...(withTesting ? [] : [testingFolder])]),
    "no-restricted-globals": ["error", ...hostGlobals],
    "no-restricted-properties": propertiesRule([...hostGlobalProperties, ...properties]),
    "no-restricted-syntax": staticImportsOnly,
  });
  const edgeRules = (withTesting) => ({
    "no-restricted-imports": importRule(edgePaths, [...boundaries, noTestTree, ...(withTesting ? [] : [testingFolder])]),
    "no-restricted-globals": "off",
    "no-restricted-properties": propertiesRule(properties),
    "no-restricted-syntax": staticImportsOnly,
  });
  return [
    { files: all, rules: pureRules(false) },
    { files: testing, rules: pureRules(true) },
    { files: edge, rules: edgeRules(false) },
    { files: edgeTesting, rules: edgeRules(true) },
  ];
}

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
  ...areas.flatMap(areaConfigs),
  {
    // Tests, scripts and benchmarks are edge code: they stand up the real thing.
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: { "no-restricted-imports": "off", "no-restricted-globals": "off", "no-restricted-properties": "off", "no-restricted-syntax": "off", "no-console": "off" },
  },
  {
    // The test tree's layering: test/rig/ stands up Kubernetes and its runtime and knows nothing
    // of Petrel's own test helpers (test/support/ may import the rig, never the reverse).
    files: ["test/rig/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/support/**"], message: "test/rig/ imports nothing from test/support/: a helper both need belongs in test/rig/ (docs/architecture.md, \"Where do I put…\")." }] }] },
  },
  {
    // The plugin's own unit tests run no program either (they drive it through its ports).
    files: ["cni-plugin/**/*.test.ts"],
    rules: { "no-restricted-properties": propertiesRule(pluginProperties) },
  },
);
