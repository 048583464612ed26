import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_FILE, GENERATOR_COMMAND, generateApiTypes, selectCrdFiles } from "../../test/scripts/api-types/generate.ts";
import type { BGPPeer, IPPool, PetrelNodeStatusBgpSession } from "./index.ts";
import { API_VERSION, PLURALS } from "./index.ts";

const ROOT = join(__dirname, "..", "..");

function firstDifference(committed: string, generated: string): string {
  const have = committed.split("\n");
  const want = generated.split("\n");
  let line = 0;
  while (line < have.length && have[line] === want[line]) line++;
  return `First difference at line ${line + 1}:\n  committed: ${have[line] ?? "(end of file)"}\n  generated: ${want[line] ?? "(end of file)"}`;
}

describe("common/api/v1alpha1.ts", () => {
  it("is what the generator makes of crds/*.yaml", () => {
    const crdDir = join(ROOT, "crds");
    const texts = selectCrdFiles(readdirSync(crdDir)).map((name) => readFileSync(join(crdDir, name), "utf8"));
    const committed = readFileSync(join(ROOT, GENERATED_FILE), "utf8");
    const generated = generateApiTypes(texts);
    if (generated !== committed) {
      throw new Error(`${GENERATED_FILE} is out of date with crds/*.yaml: run \`${GENERATOR_COMMAND}\`.\n${firstDifference(committed, generated)}`);
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
    const out = generateApiTypes([crd("Widget", `
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
    expect(interfaceBody(generateApiTypes([text]), "Widget")).toContain("  spec: WidgetSpec;\n");
  });

  it("turns a string enum into a union of its literals", () => {
    const out = generateApiTypes([crd("Widget", `
              type: object
              properties:
                mode: {type: string, enum: [Fast, "Slow", "True"]}`)]);
    expect(interfaceBody(out, "WidgetSpec")).toBe('  mode?: "Fast" | "Slow" | "True";\n');
  });

  it("maps {matchLabels, matchExpressions} to the shared LabelSelector", () => {
    const out = generateApiTypes([crd("Widget", `
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
    expect(() => generateApiTypes([crd("Widget", `
              type: object
              properties:
                nodeSelector:
                  type: object
                  properties:
                    matchLabels: {type: object, additionalProperties: {type: integer}}
                    matchExpressions: {type: array, items: {type: string}}`)])).toThrow(/Widget\.spec\.nodeSelector: .*LabelSelector/);
  });

  it("maps a conditions list to Condition[]", () => {
    const out = generateApiTypes([crd("Widget", "              type: object\n              properties: {size: {type: integer}}", `
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
    const out = generateApiTypes([crd("Widget", `
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
    const out = generateApiTypes([crd("Widget", `
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
    const forward = generateApiTypes([crd("Widget", small), crd("Gadget", small)]);
    expect(generateApiTypes([crd("Gadget", small), crd("Widget", small)])).toBe(forward);
    expect(forward).toContain('export const PLURALS = {\n  Gadget: "gadgets",\n  Widget: "widgets",\n} as const;\n');
    expect(forward).toContain('export const API_VERSION = "petrel.dev/v1alpha1";\n');
    expect(interfaceBody(forward, "WidgetList")).toBe(
      "  apiVersion: string;\n  kind: string;\n  metadata: { resourceVersion?: string; continue?: string };\n  items: Widget[];\n",
    );
  });
});
