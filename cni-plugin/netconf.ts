import { parseCidr, cidrsOverlap, type Cidr } from "../common/cidr.ts";
import { InvalidInputError, errorMessage } from "../common/errors.ts";
import { logLevels, type LogLevel } from "../common/log-types.ts";
import { CniCode, CniError } from "./cni-error.ts";
import { isSupportedVersion, supportedVersions, type SpecVersion } from "./spec-version.ts";
import { validateContainerId, validateInterfaceName } from "./env.ts";

/** The network configuration Petrel reads from stdin, validated and defaulted. */
export interface NetConf {
  cniVersion: SpecVersion;
  name: string;
  mtu: number;
  stateDir: string;
  /** Blocks pinned in the config; when absent, blocks come from the agent via `stateDir`. */
  pinnedBlocks: Cidr[] | undefined;
  logFile: string | undefined;
  logLevel: LogLevel;
  /** The previous plugin's result (CHECK and DEL receive Petrel's own ADD result). */
  prevResult: Record<string, unknown> | undefined;
  /** GC (spec 1.1.0): the attachments the runtime still knows; everything else is garbage. Undefined: no list given (an empty one). */
  validAttachments: Attachment[] | undefined;
}

export interface Attachment {
  containerId: string;
  ifname: string;
}

export const defaultStateDir = "/var/lib/petrel";
export const defaultMtu = 1500;

function configError(field: string, msg: string): CniError {
  return new CniError(CniCode.invalidConfig, `invalid network config: ${field}: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(obj: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw configError(field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Decodes stdin. Bad JSON is a decode error (6); JSON of the wrong shape is a config error (7). */
export function decodeNetConfJson(text: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CniError(CniCode.decodeFailure, `network config on stdin is not valid JSON: ${errorMessage(err)}`, {
      details: "the runtime passes the network configuration (a JSON object) on stdin",
    });
  }
  if (!isObject(raw)) throw new CniError(CniCode.decodeFailure, "network config on stdin must be a JSON object");
  return raw;
}

/** Reads just the spec version, used to pick the output format even when the rest is invalid. */
export function declaredVersion(raw: Record<string, unknown>): string | undefined {
  const v = raw["cniVersion"];
  return typeof v === "string" ? v : undefined;
}

function parseBlocks(ipam: Record<string, unknown>): Cidr[] | undefined {
  const blocks = ipam["blocks"];
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks) || blocks.length === 0) {
    throw configError("ipam.blocks", `must be a non-empty list of CIDRs such as ["198.18.0.0/26"], got ${JSON.stringify(blocks)}`);
  }
  const parsed: Cidr[] = [];
  blocks.forEach((b: unknown, i: number) => {
    const field = `ipam.blocks[${i}]`;
    let cidr: Cidr;
    try {
      cidr = parseCidr(b as string, field);
    } catch (err) {
      if (err instanceof InvalidInputError) {
        throw new CniError(CniCode.invalidConfig, `invalid network config: ${err.message}`);
      }
      throw err;
    }
    const clash = parsed.findIndex((p) => cidrsOverlap(p, cidr));
    if (clash >= 0) throw configError(field, `overlaps ipam.blocks[${clash}]; blocks must be disjoint`);
    parsed.push(cidr);
  });
  return parsed;
}

function parseAttachments(v: unknown, field: string): Attachment[] | undefined {
  // Missing or null: no list (libcni sends null for a nil Go slice).
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw configError(field, "must be a list of {containerID, ifname} objects");
  return v.map((a: unknown, i: number) => {
    if (!isObject(a) || typeof a["containerID"] !== "string" || typeof a["ifname"] !== "string") {
      throw configError(`${field}[${i}]`, `must be {"containerID": string, "ifname": string}, got ${JSON.stringify(a)}`);
    }
    try {
      validateContainerId(a["containerID"], `${field}[${i}].containerID`);
      validateInterfaceName(a["ifname"], `${field}[${i}].ifname`);
    } catch (err) {
      throw configError(`${field}[${i}]`, errorMessage(err));
    }
    return { containerId: a["containerID"], ifname: a["ifname"] };
  });
}

/**
 * GC's list of attachments to keep: `cni.dev/valid-attachments` and its misspelt twin
 * `cni.dev/attachments` (containernetworking/cni#1101; libcni sends both), merged. Undefined when
 * neither is a list, which GC reads as an empty list (as libcni and the reference plugins do).
 */
function validAttachments(raw: Record<string, unknown>): Attachment[] | undefined {
  const lists = [parseAttachments(raw["cni.dev/valid-attachments"], "cni.dev/valid-attachments"), parseAttachments(raw["cni.dev/attachments"], "cni.dev/attachments")];
  if (lists.every((l) => l === undefined)) return undefined;
  const seen = new Map<string, Attachment>();
  for (const a of lists.flatMap((l) => l ?? [])) seen.set(`${a.containerId}/${a.ifname}`, a);
  return [...seen.values()];
}

export function parseNetConf(raw: Record<string, unknown>): NetConf {
  const cniVersion = raw["cniVersion"];
  if (typeof cniVersion !== "string") {
    throw configError("cniVersion", `is required and must be a string such as "1.0.0"`);
  }
  if (!isSupportedVersion(cniVersion)) {
    throw new CniError(CniCode.incompatibleVersion, `cniVersion "${cniVersion}" is not supported by Petrel`, {
      details: `supported versions: ${supportedVersions.join(", ")}`,
    });
  }
  const name = raw["name"];
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw configError("name", `must be a network name of letters, digits, "_", "." and "-", got ${JSON.stringify(name)}`);
  }
  let mtu = defaultMtu;
  if (raw["mtu"] !== undefined) {
    const m = raw["mtu"];
    if (typeof m !== "number" || !Number.isInteger(m) || m < 576 || m > 65535) {
      throw configError("mtu", `must be an integer from 576 to 65535, got ${JSON.stringify(m)}`);
    }
    mtu = m;
  }
  const stateDir = optionalString(raw, "stateDir", "stateDir") ?? defaultStateDir;
  if (!stateDir.startsWith("/")) throw configError("stateDir", `must be an absolute path, got "${stateDir}"`);

  let pinnedBlocks: Cidr[] | undefined;
  const ipam = raw["ipam"];
  if (ipam !== undefined) {
    if (!isObject(ipam)) throw configError("ipam", `must be an object such as {"blocks": ["198.18.0.0/26"]}`);
    const type = optionalString(ipam, "type", "ipam.type");
    if (type !== undefined && type !== "petrel") {
      throw configError("ipam.type", `Petrel allocates addresses itself; remove "ipam.type" or set it to "petrel" (got "${type}")`);
    }
    pinnedBlocks = parseBlocks(ipam);
  }
  const logFile = optionalString(raw, "logFile", "logFile");
  if (logFile !== undefined && !logFile.startsWith("/")) throw configError("logFile", `must be an absolute path, got "${logFile}"`);
  const level = optionalString(raw, "logLevel", "logLevel") ?? "warn";
  if (!(logLevels as readonly string[]).includes(level)) {
    throw configError("logLevel", `must be one of ${logLevels.join(", ")}, got "${level}"`);
  }
  const prev = raw["prevResult"];
  if (prev !== undefined && !isObject(prev)) throw configError("prevResult", "must be an object");
  return {
    cniVersion,
    name,
    mtu,
    stateDir,
    pinnedBlocks,
    logFile,
    logLevel: level as LogLevel,
    prevResult: prev,
    validAttachments: validAttachments(raw),
  };
}
