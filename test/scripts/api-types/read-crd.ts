// Reading CRD YAML documents into the small schema model the generator works on, with errors that
// say where in which file the unexpected shape is. Pure: text in, values out.
export interface Schema {
  type: string | undefined;
  description: string | undefined;
  /** In schema order. */
  properties: [string, Schema][] | undefined;
  required: string[];
  items: Schema | undefined;
  additionalProperties: Schema | boolean | undefined;
  enum: unknown[] | undefined;
  intOrString: boolean;
  preserveUnknownFields: boolean;
}

export interface Crd {
  kind: string;
  listKind: string;
  plural: string;
  group: string;
  version: string;
  scope: string;
  shortNames: string[];
  schema: Schema;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") fail(`${where}.${key}`, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function requiredString(obj: Record<string, unknown>, key: string, where: string): string {
  return optionalString(obj, key, where) ?? fail(`${where}.${key}`, "missing");
}

function stringList(obj: Record<string, unknown>, key: string, where: string): string[] {
  const value = obj[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
    fail(`${where}.${key}`, "expected a list of strings");
  }
  return value;
}

export function readSchema(value: unknown, where: string): Schema {
  if (!isRecord(value)) fail(where, "expected a schema object");
  const properties = value["properties"];
  if (properties !== undefined && !isRecord(properties)) fail(`${where}.properties`, "expected a mapping");
  const items = value["items"];
  const additional = value["additionalProperties"];
  const enumValues = value["enum"];
  if (enumValues !== undefined && !Array.isArray(enumValues)) fail(`${where}.enum`, "expected a list");
  return {
    type: optionalString(value, "type", where),
    description: optionalString(value, "description", where),
    properties: properties === undefined
      ? undefined
      : Object.entries(properties).map(([name, prop]): [string, Schema] => [name, readSchema(prop, `${where}.properties.${name}`)]),
    required: stringList(value, "required", where),
    items: items === undefined ? undefined : readSchema(items, `${where}.items`),
    additionalProperties: additional === undefined || typeof additional === "boolean"
      ? additional
      : readSchema(additional, `${where}.additionalProperties`),
    enum: enumValues,
    intOrString: value["x-kubernetes-int-or-string"] === true,
    preserveUnknownFields: value["x-kubernetes-preserve-unknown-fields"] === true,
  };
}

export function readCrd(doc: unknown, where: string): Crd {
  if (!isRecord(doc)) fail(where, "expected a mapping");
  if (doc["kind"] !== "CustomResourceDefinition") fail(`${where}.kind`, "expected CustomResourceDefinition");
  const spec = doc["spec"];
  if (!isRecord(spec)) fail(`${where}.spec`, "missing");
  const names = spec["names"];
  if (!isRecord(names)) fail(`${where}.spec.names`, "missing");
  const kind = requiredString(names, "kind", `${where}.spec.names`);
  const at = `${where} (${kind})`;
  const versions = spec["versions"];
  if (!Array.isArray(versions)) fail(`${at}.spec.versions`, "expected a list");
  const storage = versions.filter((v) => isRecord(v) && v["storage"] === true);
  const version = storage[0];
  if (storage.length !== 1 || !isRecord(version)) fail(`${at}.spec.versions`, "expected exactly one storage version");
  const schema = version["schema"];
  if (!isRecord(schema)) fail(`${at}.spec.versions[storage].schema`, "missing");
  return {
    kind,
    listKind: requiredString(names, "listKind", `${at}.spec.names`),
    plural: requiredString(names, "plural", `${at}.spec.names`),
    group: requiredString(spec, "group", `${at}.spec`),
    version: requiredString(version, "name", `${at}.spec.versions[storage]`),
    scope: requiredString(spec, "scope", `${at}.spec`),
    shortNames: stringList(names, "shortNames", `${at}.spec.names`),
    schema: readSchema(schema["openAPIV3Schema"], `${at}.openAPIV3Schema`),
  };
}
