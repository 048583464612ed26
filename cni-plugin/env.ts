import { CniCode, CniError } from "./cni-error.ts";
import type { CniCommand } from "./spec-version.ts";

/** What the runtime told us through `CNI_*` environment variables, validated. */
export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  /** `CNI_ARGS` as key/value pairs (e.g. `K8S_POD_NAMESPACE`, `K8S_POD_NAME`). */
  args: Record<string, string>;
}

const commands: readonly CniCommand[] = ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"];
const needsAttachment: readonly CniCommand[] = ["ADD", "DEL", "CHECK"];
const needsNetns: readonly CniCommand[] = ["ADD", "CHECK"];

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const maxInterfaceNameLength = 15;

function envError(name: string, msg: string): CniError {
  return new CniError(CniCode.invalidEnvironment, `${name}: ${msg}`);
}

export function validateContainerId(id: string, field = "CNI_CONTAINERID"): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) {
    throw envError(field, `"${id}" is not a valid container ID; use letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
}

export function validateInterfaceName(name: string, field = "CNI_IFNAME"): void {
  if (name.length > maxInterfaceNameLength) {
    throw envError(field, `"${name}" is ${name.length} characters long; Linux interface names have at most ${maxInterfaceNameLength}`);
  }
  if (name === "." || name === ".." || /[/:\s]/.test(name)) {
    throw envError(field, `"${name}" is not a valid interface name; it may not be "." or ".." or contain "/", ":" or spaces`);
  }
}

export function parseCniArgs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text === "") return out;
  for (const pair of text.split(";")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw envError("CNI_ARGS", `"${pair}" is not KEY=VALUE; separate pairs with ";"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function parseCniEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = env["CNI_COMMAND"];
  if (command === undefined || command === "") {
    throw envError("CNI_COMMAND", "is not set; a container runtime sets it to ADD, DEL, CHECK, GC, STATUS or VERSION");
  }
  if (!(commands as readonly string[]).includes(command)) {
    throw envError("CNI_COMMAND", `"${command}" is not a CNI command; expected one of ${commands.join(", ")}`);
  }
  const verb = command as CniCommand;
  const containerId = env["CNI_CONTAINERID"] ?? "";
  const ifname = env["CNI_IFNAME"] ?? "";
  const netns = env["CNI_NETNS"] ?? "";
  if (needsAttachment.includes(verb)) {
    if (containerId === "") throw envError("CNI_CONTAINERID", `is required for ${verb}`);
    validateContainerId(containerId);
    if (ifname === "") throw envError("CNI_IFNAME", `is required for ${verb}`);
    validateInterfaceName(ifname);
  }
  if (needsNetns.includes(verb)) {
    if (netns === "") throw envError("CNI_NETNS", `is required for ${verb}`);
  }
  // VERSION, GC and STATUS use no attachment: libcni sends placeholders ("dummy") for these
  // variables when it probes VERSION, so they are ignored rather than validated.
  if (!needsAttachment.includes(verb)) return { command: verb, containerId: "", netns: "", ifname: "", args: {} };
  if (netns !== "" && !netns.startsWith("/")) {
    throw envError("CNI_NETNS", `"${netns}" is not an absolute path to a network namespace (e.g. /var/run/netns/NAME)`);
  }
  return { command: verb, containerId, netns, ifname, args: parseCniArgs(env["CNI_ARGS"]) };
}
