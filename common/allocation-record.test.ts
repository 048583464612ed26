import { parseAddress } from "./cidr.ts";
import { decodeRecord, encodeRecordTarget, podFromCniArgs } from "./allocation-record.ts";

const address = parseAddress("198.18.0.5");

describe("allocation records", () => {
  it("round-trips the current format, with and without pod identity", () => {
    const withPod = { address, network: "petrel", containerId: "abc", ifname: "eth0", pod: { namespace: "default", name: "web-1", uid: "u-1" } };
    const target = encodeRecordTarget(withPod);
    expect(target).toBe('{"v":2,"network":"petrel","containerID":"abc","ifname":"eth0","pod":{"namespace":"default","name":"web-1","uid":"u-1"}}');
    expect(decodeRecord("198.18.0.5", target)).toEqual({ ...withPod, format: 2 });
    const bare = { address, network: "petrel", containerId: "abc", ifname: "eth0" };
    expect(decodeRecord("198.18.0.5", encodeRecordTarget(bare))).toEqual({ ...bare, format: 2 });
  });

  it("reads Petrel 0.1's format", () => {
    expect(decodeRecord("198.18.0.5", "petrel/abc/eth0")).toEqual({ address, network: "petrel", containerId: "abc", ifname: "eth0", format: 1 });
  });

  it.each([
    [".lock", "petrel/abc/eth0"],
    ["198.18.0.005", "petrel/abc/eth0"],
    ["nonsense", "petrel/abc/eth0"],
    ["198.18.0.5", "petrel/abc"],
    ["198.18.0.5", "/etc/passwd"],
    ["198.18.0.5", '{"v":3,"network":"n","containerID":"c","ifname":"i"}'],
    ["198.18.0.5", '{"v":2,"network":"n","containerID":"c"}'],
    ["198.18.0.5", '{"v":2,"network":"n","containerID":"c","ifname":"i","pod":{"name":"x"}}'],
    ["198.18.0.5", "{not json"],
  ])("refuses %s -> %s", (name, target) => {
    expect(decodeRecord(name, target)).toBeUndefined();
  });

  it("takes the pod from CNI_ARGS when the runtime names it", () => {
    expect(podFromCniArgs({ K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "p", K8S_POD_UID: "u" })).toEqual({ namespace: "ns", name: "p", uid: "u" });
    expect(podFromCniArgs({ K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "p" })).toEqual({ namespace: "ns", name: "p" });
    expect(podFromCniArgs({ K8S_POD_NAME: "p" })).toBeUndefined();
  });
});
