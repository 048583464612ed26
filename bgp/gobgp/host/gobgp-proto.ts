/**
 * Loads the .proto files of the installed gobgpd at run time. Petrel never carries a copy: the
 * API must match the gobgpd beside it, and Debian ships both from one source package
 * (gobgpd and golang-github-osrg-gobgp-dev).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { PetrelError, errorMessage } from "../../../common/errors.ts";

export const defaultGobgpProtoDir = "/usr/share/gocode/src/github.com/osrg/gobgp/api";
export const gobgpProtoDirEnv = "PETREL_GOBGP_PROTO_DIR";

/** gobgp.proto does not import attribute.proto (the reverse holds), so each is named. */
const protoFiles = ["gobgp.proto", "attribute.proto", "capability.proto"];

/** An explicit directory wins, then $PETREL_GOBGP_PROTO_DIR, then Debian's location. */
export function gobgpProtoDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== "") return explicit;
  const fromEnv = env[gobgpProtoDirEnv];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : defaultGobgpProtoDir;
}

const cache = new Map<string, PackageDefinition>();

/**
 * The loader options are part of the client's contract: camelCase fields, enums as names,
 * 64-bit integers as numbers, proto3 defaults filled in, `oneof` names reported, and
 * `json: true`, under which Any fields are packed from and unpacked to `@type` objects.
 */
export function loadGobgpProto(dir: string): PackageDefinition {
  const cached = cache.get(dir);
  if (cached !== undefined) return cached;
  const missing = protoFiles.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new PetrelError("permanent",
      `gobgpd's API definitions (${missing.join(", ")}) are not in ${dir}: install golang-github-osrg-gobgp-dev ` +
      `matching the gobgpd version, or set ${gobgpProtoDirEnv} to the api/ directory of gobgp's source`);
  }
  let definition: PackageDefinition;
  try {
    definition = loadSync(protoFiles, {
      includeDirs: [dir], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, json: true,
    });
  } catch (err) {
    throw new PetrelError("permanent", `cannot load gobgpd's .proto files from ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  cache.set(dir, definition);
  return definition;
}
