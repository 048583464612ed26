import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiTypesDrift } from "../../test/scripts/api-types/committed.ts";
import { GENERATED_DIR, GENERATED_HEADER, GENERATOR_COMMAND, generateApiTypes, selectCrdFiles } from "../../test/scripts/api-types/generate.ts";
import type { BGPPeer, IPPool, PetrelNodeStatusBgpSession } from "./index.ts";
import { API_VERSION, PLURALS } from "./index.ts";

const ROOT = join(__dirname, "..", "..");

/** Every generated file's text, one after the other (the rules below do not depend on the file). */
const generatedText = (texts: string[]): string => generateApiTypes(texts).map((f) => f.text).join("\n");

describe("common/api/ (the generated files)", () => {
  it("is what the generator makes of crds/*.yaml", () => {
    const crdDir = join(ROOT, "crds");
    const texts = selectCrdFiles(readdirSync(crdDir)).map((name) => readFileSync(join(crdDir, name), "utf8"));
    const drift = apiTypesDrift(ROOT, generateApiTypes(texts));
    if (drift.report.length > 0) {
      throw new Error(`${GENERATED_DIR} is out of date with crds/*.yaml: run \`${GENERATOR_COMMAND}\`.\n${drift.report.join("\n")}`);
    }
  });

  it("types objects as the API server sends them", () => {
    const session: PetrelNodeStatusBgpSession = { peerIP: "192.0.2.1", type: "NodeMesh", state: "Established" };
    const pool: IPPool = {
      apiVersion: API_VERSION,
      kind: "IPPool",
      metadata: { name: "default-ipv4" },
      spec: { cidr: "198.18.0.0/16", nodeSelector: { matchExpressions: [{ key: "rack", operator: "In", values: ["r1"] }] } },
      status: { conditions: [{ type: "Exhausted", status: "False", lastTransitionTime: "2025-01-01T00:00:00Z", reason: "FreeBlocks", message: "" }] },
    };
    const peer: BGPPeer = { apiVersion: API_VERSION, kind: "BGPPeer", metadata: { name: "tor" }, spec: { peerIP: "192.0.2.254", asNumber: 64513 } };
    expect([session.state, pool.spec.cidr, peer.spec.asNumber]).toEqual(["Established", "198.18.0.0/16", 64513]);
    expect(PLURALS.IPPool).toBe("ippools");
  });
});

/** A CRD around the given spec schema (YAML flow/block text indented for `spec:`'s value). */
function crd(kind: string, specYaml: string, statusYaml = ""): string {
  return [
    "apiVersion: apiextensions.k8s.io/v1",
    "kind: CustomResourceDefinition",
    `metadata: {name: ${kind.toLowerCase()}s.petrel.dev}`,
    "spec:",
    "  group: petrel.dev",
    "  scope: Cluster",
    `  names: {kind: ${kind}, listKind: ${kind}List, plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()}}`,
    "  versions:",
    "    - name: v1alpha1",
    "      served: true",
    "      storage: true",
    "      schema:",
    "        openAPIV3Schema:",
    "          type: object",
    "          properties:",
    "            apiVersion: {type: string}",
    "            kind: {type: string}",
    "            metadata: {type: object}",
    "            spec:",
    specYaml,
    ...(statusYaml === "" ? [] : ["            status:", statusYaml]),
  ].join("\n");
}

/** The body of `export interface name { … }` in `source`. */
function interfaceBody(source: string, name: string): string {
  const match = new RegExp(`^export interface ${name} \\{\\n([^]*?)^\\}`, "m").exec(source);
  if (match?.[1] === undefined) throw new Error(`no interface ${name} in:\n${source}`);
  return match[1];
}

describe("generateApiTypes", () => {
  it("makes required properties non-optional and the others (defaults too) optional", () => {
    const out = generatedText([crd("Widget", `
              type: object
              required: [size]
              properties:
                size: {type: integer}
                color: {type: string, default: red}
                enabled: {type: boolean}`)]);
    expect(interfaceBody(out, "WidgetSpec")).toBe("  size: number;\n  color?: string;\n  enabled?: boolean;\n");
    // spec is optional when the root schema does not require it; status is always optional.
    expect(interfaceBody(out, "Widget")).toContain("  spec?: WidgetSpec;\n");
  });

  it("makes spec non-optional when the root schema requires it", () => {
    const text = crd("Widget", "              type: object\n              properties: {size: {type: integer}}")
      .replace("          type: object\n", "          type: object\n          required: [spec]\n");
    expect(interfaceBody(generatedText([text]), "Widget")).toContain("  spec: WidgetSpec;\n");
  });

  it("turns a string enum into a union of its literals", () => {
    const out = generatedText([crd("Widget", `
              type: object
              properties:
                mode: {type: string, enum: [Fast, "Slow", "True"]}`)]);
    expect(interfaceBody(out, "WidgetSpec")).toBe('  mode?: "Fast" | "Slow" | "True";\n');
  });

  it("maps {matchLabels, matchExpressions} to the shared LabelSelector", () => {
    const out = generatedText([crd("Widget", `
              type: object
              properties:
                nodeSelector:
                  type: object
                  properties:
                    matchLabels: {type: object, additionalProperties: {type: string}}
                    matchExpressions:
                      type: array
                      items:
                        type: object
                        required: [key, operator]
                        properties:
                          key: {type: string}
                          operator: {type: string, enum: [In, NotIn, Exists, DoesNotExist]}
                          values: {type: array, items: {type: string}}`)]);
    expect(interfaceBody(out, "WidgetSpec")).toBe("  nodeSelector?: LabelSelector;\n");
    expect(out).not.toContain("WidgetSpecNodeSelector");
    expect(out).toContain('import type { LabelSelector, ObjectMeta } from "./object-meta.ts";');
  });

  it("refuses a look-alike label selector rather than mistyping it", () => {
    expect(() => generatedText([crd("Widget", `
              type: object
              properties:
                nodeSelector:
                  type: object
                  properties:
                    matchLabels: {type: object, additionalProperties: {type: integer}}
                    matchExpressions: {type: array, items: {type: string}}`)])).toThrow(/Widget\.spec\.nodeSelector: .*LabelSelector/);
  });

  it("maps a conditions list to Condition[]", () => {
    const out = generatedText([crd("Widget", "              type: object\n              properties: {size: {type: integer}}", `
              type: object
              properties:
                conditions:
                  type: array
                  items:
                    type: object
                    required: [type, status, lastTransitionTime, reason, message]
                    properties:
                      type: {type: string}
                      status: {type: string, enum: ["True", "False", "Unknown"]}
                      observedGeneration: {type: integer}
                      lastTransitionTime: {type: string, format: date-time}
                      reason: {type: string}
                      message: {type: string}`)]);
    expect(interfaceBody(out, "WidgetStatus")).toBe("  conditions?: Condition[];\n");
    expect(interfaceBody(out, "Widget")).toContain("  status?: WidgetStatus;\n");
  });

  it("turns descriptions into JSDoc, wrapping long ones", () => {
    const long = "word ".repeat(30).trim();
    const out = generatedText([crd("Widget", `
              type: object
              properties:
                size: {type: integer, description: "Number of */ things."}
                note: {type: string, description: "${long}"}`)]);
    const body = interfaceBody(out, "WidgetSpec");
    expect(body).toContain("  /** Number of *\\/ things. */\n  size?: number;\n");
    expect(body).toMatch(/^ {2}\/\*\*\n( {3}\* word( word)*\n){2,} {3}\*\/\n {2}note\?: string;\n/m);
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("names nested objects after their path and array items after the field's singular", () => {
    const out = generatedText([crd("Widget", `
              type: object
              properties:
                password:
                  type: object
                  properties: {secretKeyRef: {type: object, required: [name], properties: {name: {type: string}}}}
                bgpSessions: {type: array, items: {type: object, properties: {peer: {type: string}}}}
                addresses: {type: array, items: {type: object, properties: {ip: {type: string}}}}
                labels: {type: object, additionalProperties: {type: string}}`)]);
    expect(interfaceBody(out, "WidgetSpec")).toBe([
      "  password?: WidgetSpecPassword;",
      "  bgpSessions?: WidgetSpecBgpSession[];",
      "  addresses?: WidgetSpecAddressesItem[];",
      "  labels?: Record<string, string>;",
      "",
    ].join("\n"));
    expect(interfaceBody(out, "WidgetSpecPassword")).toBe("  secretKeyRef?: WidgetSpecPasswordSecretKeyRef;\n");
    expect(interfaceBody(out, "WidgetSpecPasswordSecretKeyRef")).toBe("  name: string;\n");
  });

  it("emits the list type and constants, with kinds in a stable order", () => {
    const small = "              type: object\n              properties: {size: {type: integer}}";
    const forward = generatedText([crd("Widget", small), crd("Gadget", small)]);
    expect(generatedText([crd("Gadget", small), crd("Widget", small)])).toBe(forward);
    expect(forward).toContain('export const PLURALS = {\n  Gadget: "gadgets",\n  Widget: "widgets",\n} as const;\n');
    expect(forward).toContain('export const API_VERSION = "petrel.dev/v1alpha1";\n');
    expect(interfaceBody(forward, "WidgetList")).toBe(
      "  apiVersion: string;\n  kind: string;\n  metadata: { resourceVersion?: string; continue?: string };\n  items: Widget[];\n",
    );
  });

  it("writes one file per kind, named after it, and an index of them with the constants", () => {
    const small = "              type: object\n              properties: {size: {type: integer}}";
    const files = generateApiTypes([crd("Widget", small), crd("Gadget", small)]);
    expect(files.map((f) => f.path)).toEqual(["common/api/v1alpha1.ts", "common/api/gadget.ts", "common/api/widget.ts"]);
    for (const f of files) expect(f.text.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
    const [index, gadget, widget] = files.map((f) => f.text);
    expect(index).toContain('export type * from "./gadget.ts";\nexport type * from "./widget.ts";\n');
    expect(index).toContain("export const PLURALS = {");
    expect(index).not.toContain("export interface");
    expect(widget).toContain("export interface WidgetSpec {");
    expect(widget).not.toContain("Gadget");
    expect(gadget).not.toContain("Widget");
  });

  it("refuses a kind whose file would take a hand-written file's name or the index's", () => {
    const small = "              type: object\n              properties: {size: {type: integer}}";
    expect(() => generateApiTypes([crd("Index", small)])).toThrow(/^Index: its types cannot go to common\/api\/index\.ts/);
    expect(() => generateApiTypes([crd("V1alpha1", small)])).toThrow(/^V1alpha1: its types cannot go to common\/api\/v1alpha1\.ts/);
  });
});

describe("apiTypesDrift", () => {
  const small = "              type: object\n              properties: {size: {type: integer}}";
  let root = "";
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "petrel-api-types-"));
    mkdirSync(join(root, GENERATED_DIR), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("finds missing, changed and left-over generated files, and ignores hand-written ones", () => {
    const files = generateApiTypes([crd("Widget", small), crd("Gadget", small)]);
    expect(apiTypesDrift(root, files).write.map((f) => f.path)).toEqual(files.map((f) => f.path));
    for (const f of files) writeFileSync(join(root, f.path), f.text);
    writeFileSync(join(root, GENERATED_DIR, "object-meta.ts"), "// hand-written\n");
    expect(apiTypesDrift(root, files)).toEqual({ write: [], remove: [], report: [] });

    writeFileSync(join(root, GENERATED_DIR, "widget.ts"), `${GENERATED_HEADER}\n// edited by hand\n`);
    const fewer = generateApiTypes([crd("Widget", small)]);
    const drift = apiTypesDrift(root, fewer);
    expect(drift.write.map((f) => f.path)).toEqual(["common/api/v1alpha1.ts", "common/api/widget.ts"]);
    expect(drift.remove).toEqual(["common/api/gadget.ts"]);
    expect(drift.report).toContain("common/api/gadget.ts: generated, but for no CRD any more");
    expect(drift.report.join("\n")).toMatch(/common\/api\/widget\.ts: out of date, first difference at line 2:\n {2}committed: \/\/ edited by hand/);
  });
});
