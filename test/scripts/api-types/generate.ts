// Generates TypeScript types for Petrel's CRDs from the CRD YAML in crds/: one file per kind in
// common/api/ (`ippool.ts` for IPPool: the kind in lower case) and common/api/v1alpha1.ts, the
// group's constants and an index of the kinds' files. Pure: text in, files' text out;
// test/scripts/gen-api-types.ts does the file I/O, and common/api/v1alpha1.test.ts checks that the
// committed files equal a fresh generation (committed.ts: every file of common/api/ that starts
// with GENERATED_HEADER is the generator's, so a file left from a removed kind is found too).
//
// Rules (mechanical, so that a schema change maps to a predictable type change):
//  - For each kind K: `K` (apiVersion, kind, metadata: ObjectMeta, spec, status?), `KSpec`, `KStatus`
//    and `KList`. `spec` is optional unless the root schema lists it in `required`; `status` is
//    always optional.
//  - A property is non-optional only when its parent's `required` lists it. Schema defaults do not
//    make a property required: the server fills them in, but a writer may leave them out.
//  - string → string (an `enum` → a union of its literals), integer and number → number,
//    boolean → boolean, array → `T[]`, object with `additionalProperties` → `Record<string, T>`,
//    object without properties → `Record<string, unknown>` when it preserves unknown fields, else
//    `Record<string, never>`, x-kubernetes-int-or-string → `number | string`.
//  - An object whose properties are exactly {matchLabels, matchExpressions} is the shared
//    `LabelSelector`; an array property named `conditions` whose items have type, status, reason
//    and message is `Condition[]` (both from common/api/object-meta.ts, and both checked against
//    the upstream shape: a look-alike that differs is an error, not a silent mismatch).
//  - Any other object with properties becomes an interface named after its path: parent interface
//    name + PascalCase field name (`BGPPeerSpec` + `password` → `BGPPeerSpecPassword`). The object
//    items of an array field are named after the field's singular: the field name without its
//    final "s" when that "s" follows a consonant (`bgpSessions` → `PetrelNodeStatusBgpSession`),
//    otherwise the field name + `Item` (`addresses` → `…AddressesItem`). A map value object is
//    named field name + `Value`. Two paths that produce the same name are an error.
//  - Properties keep the schema's order; kinds are sorted by name; each `description` becomes a
//    JSDoc comment (on the property, and on the interface a property's object type produces).
import { parseAllDocuments } from "yaml";
import { fail, readCrd, type Crd, type Schema } from "./read-crd.ts";

/** Where the generated files go, from the repository's root. */
export const GENERATED_DIR = "common/api";
export const GENERATOR_COMMAND = "node test/scripts/gen-api-types.ts";
/** The first line of every generated file, and only of those. */
export const GENERATED_HEADER = `// Generated from crds/*.yaml by \`${GENERATOR_COMMAND}\`; do not edit.`;
/** The hand-written files beside the generated ones: no kind's file may take their names. */
const HAND_WRITTEN = ["index.ts", "object-meta.ts"];

/** One generated file: its path from the repository's root and its text. */
export interface GeneratedFile {
  path: string;
  text: string;
}

/** The CRD files the generator reads, in the order it reads them: `*.yaml`, sorted by code unit. */
export function selectCrdFiles(fileNames: readonly string[]): string[] {
  return fileNames.filter((name) => name.endsWith(".yaml")).sort();
}

/** The subset of a structural OpenAPI v3 schema (JSONSchemaProps) the generator understands. */
interface Field {
  name: string;
  optional: boolean;
  type: string;
  description: string | undefined;
}

interface Declaration {
  name: string;
  doc: string[];
  /** An interface when `fields` is set, else `export type name = alias`. */
  fields: Field[] | undefined;
  alias: string;
}

const INDENT = "  ";
const COMMENT_WIDTH = 100;
const SHARED_IMPORTS = ["Condition", "LabelSelector", "ObjectMeta"] as const;
type SharedImport = (typeof SHARED_IMPORTS)[number];
const CONDITION_FIELDS = ["type", "status", "observedGeneration", "lastTransitionTime", "reason", "message"];
const LABEL_SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];
const ROOT_FIELDS = ["apiVersion", "kind", "metadata", "spec", "status"];


function pascalCase(fieldName: string): string {
  return fieldName
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** See the naming rules at the top of this file. */
function itemTypeName(fieldName: string): string {
  const name = pascalCase(fieldName);
  return /[b-df-hj-np-rt-z]s$/i.test(name) ? name.slice(0, -1) : `${name}Item`;
}

function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function propertyNames(schema: Schema): string[] {
  return (schema.properties ?? []).map(([name]) => name);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function property(schema: Schema, name: string): Schema | undefined {
  return schema.properties?.find(([key]) => key === name)?.[1];
}

function isLabelSelector(schema: Schema, where: string): boolean {
  if (schema.type !== "object" || !sameSet(propertyNames(schema), ["matchLabels", "matchExpressions"])) return false;
  const labels = property(schema, "matchLabels");
  const expressions = property(schema, "matchExpressions");
  const requirement = expressions?.items;
  const additional = labels?.additionalProperties;
  const operator = requirement && property(requirement, "operator");
  const values = requirement && property(requirement, "values");
  const ok = typeof additional === "object" && additional.type === "string"
    && expressions?.type === "array" && requirement?.type === "object"
    && sameSet(propertyNames(requirement), ["key", "operator", "values"])
    && property(requirement, "key")?.type === "string"
    && operator?.type === "string" && sameSet((operator.enum ?? []).map(String), LABEL_SELECTOR_OPERATORS)
    && values?.type === "array" && values.items?.type === "string";
  if (!ok) fail(where, "has matchLabels and matchExpressions but not the shape of a Kubernetes LabelSelector");
  return true;
}

function isConditionList(fieldName: string, schema: Schema, where: string): boolean {
  const item = schema.items;
  if (fieldName !== "conditions" || schema.type !== "array" || item?.type !== "object") return false;
  const names = propertyNames(item);
  if (!["type", "status", "reason", "message"].every((n) => names.includes(n))) return false;
  const status = property(item, "status");
  const ok = names.every((n) => CONDITION_FIELDS.includes(n))
    && sameSet((status?.enum ?? []).map(String), ["True", "False", "Unknown"]);
  if (!ok) fail(where, "looks like a list of conditions but differs from metav1.Condition");
  return true;
}

/** The type names for what a position in the schema may hold: an object, or an array's object items. */
interface Names {
  object: string;
  item: string;
}

function fieldNames(parent: string, fieldName: string): Names {
  return { object: parent + pascalCase(fieldName), item: parent + itemTypeName(fieldName) };
}

class Generator {
  /** The current kind's declarations and shared imports (each kind is a file of its own). */
  declarations: Declaration[] = [];
  imports = new Set<SharedImport>();
  /** Across kinds: a type name is unique in the index too. */
  private readonly paths = new Map<string, string>();

  /** The current kind's declarations and imports; the next kind starts empty. */
  takeKind(): { declarations: Declaration[]; imports: SharedImport[] } {
    const taken = { declarations: this.declarations, imports: SHARED_IMPORTS.filter((name) => this.imports.has(name)) };
    this.declarations = [];
    this.imports = new Set();
    return taken;
  }

  declare(name: string, path: string, doc: string[], fields: Field[] | undefined, alias = ""): Declaration {
    const previous = this.paths.get(name);
    if (previous !== undefined) fail(path, `its type name ${name} is already used by ${previous}`);
    this.paths.set(name, path);
    const declaration: Declaration = { name, doc, fields, alias };
    this.declarations.push(declaration);
    return declaration;
  }

  /**
   * The TypeScript type of `schema`, found at `path` (the value of field `fieldName`, or "" for
   * array items and map values); an object with properties there becomes interface `name`.
   */
  typeOf(schema: Schema, name: Names, path: string, fieldName: string): string {
    if (schema.intOrString) return "number | string";
    if (schema.enum !== undefined) return this.enumType(schema, path);
    switch (schema.type) {
      case "string":
        return "string";
      case "integer":
      case "number":
        return "number";
      case "boolean":
        return "boolean";
      case "array": {
        if (isConditionList(fieldName, schema, path)) {
          this.imports.add("Condition");
          return "Condition[]";
        }
        const items = schema.items ?? fail(path, "an array needs items");
        const item = this.typeOf(items, { object: name.item, item: `${name.item}Item` }, `${path}[*]`, "");
        return item.includes(" ") ? `(${item})[]` : `${item}[]`;
      }
      case "object":
        return this.objectType(schema, name, path);
      case undefined:
        if (schema.preserveUnknownFields) return "unknown";
        return fail(path, "a schema without a type (structural schemas need one)");
      default:
        return fail(path, `unsupported type ${JSON.stringify(schema.type)}`);
    }
  }

  private enumType(schema: Schema, path: string): string {
    const values = schema.enum ?? [];
    const expected = schema.type === "integer" || schema.type === "number" ? "number" : schema.type;
    if (values.length === 0) fail(path, "an empty enum");
    for (const value of values) {
      if (typeof value !== expected) fail(path, `enum value ${JSON.stringify(value)} is not of type ${String(schema.type)}`);
    }
    return values.map((value) => JSON.stringify(value)).join(" | ");
  }

  private objectType(schema: Schema, names: Names, path: string): string {
    const name = names.object;
    if (isLabelSelector(schema, path)) {
      this.imports.add("LabelSelector");
      return "LabelSelector";
    }
    const properties = schema.properties ?? [];
    if (properties.length > 0) {
      if (schema.additionalProperties !== undefined) fail(path, "both properties and additionalProperties");
      const declaration = this.declare(name, path, interfaceDoc(path, schema.description), []);
      const fields = declaration.fields ?? [];
      for (const [key, prop] of properties) {
        fields.push({
          name: key,
          optional: !schema.required.includes(key),
          type: this.typeOf(prop, fieldNames(name, key), `${path}.${key}`, key),
          description: prop.description,
        });
      }
      for (const key of schema.required) {
        if (!properties.some(([k]) => k === key)) fail(path, `required property ${key} is not in properties`);
      }
      return name;
    }
    const additional = schema.additionalProperties;
    if (typeof additional === "object") {
      const value = { object: `${name}Value`, item: `${name}ValueItem` };
      return `Record<string, ${this.typeOf(additional, value, `${path}[*]`, "")}>`;
    }
    return additional === true || schema.preserveUnknownFields ? "Record<string, unknown>" : "Record<string, never>";
  }
}

function interfaceDoc(path: string, description: string | undefined): string[] {
  return description === undefined ? [`\`${path}\``] : [`\`${path}\`: ${description}`];
}

function jsdoc(lines: readonly string[], indent: string): string {
  const text = lines.flatMap((line) => line.split("\n")).map((line) => line.replaceAll("*/", "*\\/").trimEnd());
  const single = text.length === 1 ? text[0] : undefined;
  if (single !== undefined && indent.length + single.length + 7 <= COMMENT_WIDTH) return `${indent}/** ${single} */\n`;
  const width = COMMENT_WIDTH - indent.length - 3;
  const out = [`${indent}/**`];
  for (const line of text) {
    if (line === "") {
      out.push(`${indent} *`);
      continue;
    }
    let current = "";
    for (const word of line.split(/ +/)) {
      if (current !== "" && current.length + 1 + word.length > width) {
        out.push(`${indent} * ${current}`);
        current = word;
      } else {
        current = current === "" ? word : `${current} ${word}`;
      }
    }
    out.push(`${indent} * ${current}`);
  }
  out.push(`${indent} */`);
  return `${out.join("\n")}\n`;
}

function render(declaration: Declaration): string {
  let out = jsdoc(declaration.doc, "");
  if (declaration.fields === undefined) return `${out}export type ${declaration.name} = ${declaration.alias};\n`;
  out += `export interface ${declaration.name} {\n`;
  for (const field of declaration.fields) {
    if (field.description !== undefined) out += jsdoc([field.description], INDENT);
    out += `${INDENT}${propertyKey(field.name)}${field.optional ? "?" : ""}: ${field.type};\n`;
  }
  return `${out}}\n`;
}

function generateKind(gen: Generator, crd: Crd, apiVersion: string): void {
  const { kind, schema } = crd;
  if (crd.listKind !== `${kind}List`) fail(kind, `listKind ${crd.listKind} is not ${kind}List`);
  for (const name of propertyNames(schema)) {
    if (!ROOT_FIELDS.includes(name)) fail(`${kind}`, `unsupported top-level field ${name}`);
  }
  const scope = crd.scope === "Cluster" ? "cluster-scoped" : "namespaced";
  const shortNames = crd.shortNames.length === 0 ? "" : ` (short names: ${crd.shortNames.join(", ")})`;
  const doc = [...(schema.description === undefined ? [] : [schema.description, ""]), `\`${crd.plural}.${crd.group}\`${shortNames}, ${scope}.`];
  const root = gen.declare(kind, kind, doc, []);
  const fields: Field[] = [
    { name: "apiVersion", optional: false, type: JSON.stringify(apiVersion), description: undefined },
    { name: "kind", optional: false, type: JSON.stringify(kind), description: undefined },
    { name: "metadata", optional: false, type: "ObjectMeta", description: undefined },
  ];
  gen.imports.add("ObjectMeta");
  for (const part of ["spec", "status"]) {
    const sub = property(schema, part);
    if (sub === undefined) continue;
    const names = fieldNames(kind, part);
    const name = names.object;
    const path = `${kind}.${part}`;
    const before = gen.declarations.length;
    const type = gen.typeOf(sub, names, path, part);
    if (type !== name) {
      // Not an object with properties: still give the part its named type.
      gen.declarations.splice(before, 0, { name, doc: interfaceDoc(path, sub.description), fields: undefined, alias: type });
    }
    fields.push({ name: part, optional: part === "status" || !schema.required.includes(part), type: name, description: sub.description });
  }
  root.fields = fields;
  gen.declare(`${kind}List`, `${kind}List`, [`A list of ${kind} objects, as the API server returns it.`], [
    { name: "apiVersion", optional: false, type: "string", description: undefined },
    { name: "kind", optional: false, type: "string", description: undefined },
    { name: "metadata", optional: false, type: "{ resourceVersion?: string; continue?: string }", description: undefined },
    { name: "items", optional: false, type: `${kind}[]`, description: undefined },
  ]);
}

/** The file of a kind's types (`IPPool` → `ippool.ts`), beside ./object-meta.ts. */
export function kindFileName(kind: string): string {
  const name = `${kind.toLowerCase()}.ts`;
  if (HAND_WRITTEN.includes(name) || !/^[a-z][a-z0-9]*\.ts$/.test(name)) fail(kind, `its types cannot go to ${GENERATED_DIR}/${name}`);
  return name;
}

/**
 * TypeScript source for the CRDs in `crdYamlTexts` (each text one or more YAML documents, each a
 * CustomResourceDefinition); all must share one group and storage version. The index
 * (`<version>.ts`) first, then one file per kind, by kind. Throws on anything it cannot map
 * faithfully.
 */
export function generateApiTypes(crdYamlTexts: string[]): GeneratedFile[] {
  const crds: Crd[] = [];
  crdYamlTexts.forEach((text, fileIndex) => {
    parseAllDocuments(text, { uniqueKeys: true }).forEach((doc, docIndex) => {
      const where = `CRD text ${fileIndex}, document ${docIndex}`;
      const error = doc.errors[0];
      if (error !== undefined) fail(where, error.message);
      const value: unknown = doc.toJS();
      if (value !== null) crds.push(readCrd(value, where));
    });
  });
  const first = crds[0] ?? fail("generateApiTypes", "no CustomResourceDefinitions");
  const { group, version } = first;
  for (const crd of crds) {
    if (crd.group !== group || crd.version !== version) {
      fail(crd.kind, `group/version ${crd.group}/${crd.version} differs from ${group}/${version} (${first.kind})`);
    }
  }
  crds.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  crds.forEach((crd, i) => {
    if (i > 0 && crds[i - 1]?.kind === crd.kind) fail(crd.kind, "defined twice");
  });

  const apiVersion = `${group}/${version}`;
  const indexName = `${version}.ts`;
  const gen = new Generator();
  const kinds: GeneratedFile[] = crds.map((crd) => {
    const name = kindFileName(crd.kind);
    if (name === indexName) fail(crd.kind, `its types cannot go to ${GENERATED_DIR}/${name}, the index of ${apiVersion}`);
    generateKind(gen, crd, apiVersion);
    const { declarations, imports } = gen.takeKind();
    const header = [
      GENERATED_HEADER,
      `// The ${crd.kind} kind (\`${crd.plural}.${crd.group}\`); its group: ./${indexName}.`,
      "// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);",
      "// label selectors and conditions use the shared types of ./object-meta.ts. Rules:",
      "// test/scripts/api-types/generate.ts.",
      `import type { ${imports.join(", ")} } from "./object-meta.ts";`,
    ];
    return { path: `${GENERATED_DIR}/${name}`, text: [`${header.join("\n")}\n`, ...declarations.map(render)].join("\n") };
  });

  const index = [
    GENERATED_HEADER,
    "// common/api/v1alpha1.test.ts fails when these files and the CRDs disagree. Each kind's types",
    "// are in a file named after it; this index re-exports them beside the group's constants.",
    ...crds.map((crd) => `export type * from "./${kindFileName(crd.kind)}";`),
    "",
    `export const GROUP = ${JSON.stringify(group)};`,
    `export const VERSION = ${JSON.stringify(version)};`,
    `export const API_VERSION = ${JSON.stringify(apiVersion)};`,
    "",
    "/** Resource names (`kubectl get <plural>`, the path segment of the REST API) by kind. */",
    "export const PLURALS = {",
    ...crds.map((crd) => `${INDENT}${crd.kind}: ${JSON.stringify(crd.plural)},`),
    "} as const;",
  ];
  return [{ path: `${GENERATED_DIR}/${indexName}`, text: `${index.join("\n")}\n` }, ...kinds];
}
