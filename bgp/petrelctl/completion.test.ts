import { spawnSync } from "node:child_process";
import { complete, completionScript, type CommandSpec } from "./completion.ts";

const out = { names: ["-o", "--output"], takesValue: true, choices: ["table", "wide", "json", "yaml"] };
const root: CommandSpec = {
  name: "petrelctl",
  options: [{ names: ["--kubeconfig"], takesValue: true, choices: undefined }, { names: ["--context"], takesValue: true, choices: undefined }],
  commands: [
    { name: "node", options: [], commands: [{ name: "status", options: [out], commands: [] }] },
    { name: "ipam", options: [], commands: [{ name: "show", options: [out, { names: ["--ip"], takesValue: true, choices: undefined }], commands: [] }, { name: "check", options: [out], commands: [] }] },
    { name: "diags", options: [{ names: ["--node"], takesValue: true, choices: undefined }], commands: [] },
  ],
};

test("commands, subcommands, flags and flag values", () => {
  expect(complete(root, [""])).toEqual(["node", "ipam", "diags"]);
  expect(complete(root, ["i"])).toEqual(["ipam"]);
  expect(complete(root, ["ipam", ""])).toEqual(["show", "check"]);
  expect(complete(root, ["--context", "prod", "ipam", "s"])).toEqual(["show"]);
  expect(complete(root, ["ipam", "show", "--"])).toEqual(["--output", "--ip", "--kubeconfig", "--context"]);
  expect(complete(root, ["ipam", "show", "-o", ""])).toEqual(["table", "wide", "json", "yaml"]);
  expect(complete(root, ["ipam", "show", "--output=y"])).toEqual(["--output=yaml"]);
  expect(complete(root, ["ipam", "show", "--ip", ""])).toEqual([]);
  expect(complete(root, ["diags", "--node", "n1", "--n"])).toEqual(["--node"]);
});

test("the bash and zsh scripts parse", () => {
  expect(spawnSync("bash", ["-n"], { input: completionScript("bash") }).status).toBe(0);
  expect(completionScript("zsh")).toMatch(/^#compdef petrelctl kubectl-petrel\n/);
});
