import type { LabelSelector } from "./api/index.ts";
import { selectorMatches } from "./label-selector.ts";

describe("selectorMatches", () => {
  const labels = { rack: "r1", zone: "z1", empty: "" };

  it.each<[string, LabelSelector | undefined, boolean]>([
    ["an absent selector", undefined, true],
    ["an empty selector", {}, true],
    ["matchLabels that hold", { matchLabels: { rack: "r1", zone: "z1" } }, true],
    ["matchLabels with one wrong value", { matchLabels: { rack: "r1", zone: "z2" } }, false],
    ["matchLabels with a missing key", { matchLabels: { gpu: "yes" } }, false],
    ["matchLabels for an empty value", { matchLabels: { empty: "" } }, true],
    ["In with the value", { matchExpressions: [{ key: "zone", operator: "In", values: ["z0", "z1"] }] }, true],
    ["In without the value", { matchExpressions: [{ key: "zone", operator: "In", values: ["z2"] }] }, false],
    ["In on a missing key", { matchExpressions: [{ key: "gpu", operator: "In", values: ["yes"] }] }, false],
    ["NotIn with the value", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z1"] }] }, false],
    ["NotIn without the value", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z2"] }] }, true],
    ["NotIn on a missing key", { matchExpressions: [{ key: "gpu", operator: "NotIn", values: ["yes"] }] }, true],
    ["Exists on a present key", { matchExpressions: [{ key: "rack", operator: "Exists" }] }, true],
    ["Exists on a key with an empty value", { matchExpressions: [{ key: "empty", operator: "Exists" }] }, true],
    ["Exists on a missing key", { matchExpressions: [{ key: "gpu", operator: "Exists" }] }, false],
    ["DoesNotExist on a present key", { matchExpressions: [{ key: "rack", operator: "DoesNotExist" }] }, false],
    ["DoesNotExist on a missing key", { matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }, true],
    ["DoesNotExist on an inherited property name", { matchExpressions: [{ key: "toString", operator: "DoesNotExist" }] }, true],
    ["matchLabels and matchExpressions that both hold", { matchLabels: { rack: "r1" }, matchExpressions: [{ key: "zone", operator: "In", values: ["z1"] }] }, true],
    ["matchLabels that hold but an expression that fails", { matchLabels: { rack: "r1" }, matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z1"] }] }, false],
    ["two expressions, one failing", { matchExpressions: [{ key: "rack", operator: "Exists" }, { key: "zone", operator: "DoesNotExist" }] }, false],
  ])("%s: %p", (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});
