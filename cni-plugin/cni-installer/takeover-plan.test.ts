import { ASIDE_SUFFIX, planRestore, planTakeover } from "./takeover-plan.ts";

test("every other CNI's config goes aside; ours, hidden files and non-configs stay", () => {
  expect(planTakeover(["00-petrel.conflist", "10-calico.conflist", "05-cilium.conflist", "99-loopback.conf", "calico-kubeconfig", ".00-petrel.conflist.petrel-tmp", "87-podman.json", `10-flannel.conflist${ASIDE_SUFFIX}`], "00-petrel.conflist"))
    .toEqual(["05-cilium.conflist", "10-calico.conflist", "87-podman.json", "99-loopback.conf"]);
});

test("uninstall brings them back unless the name was taken again meanwhile", () => {
  expect(planRestore(["00-petrel.conflist", `10-calico.conflist${ASIDE_SUFFIX}`, `05-cilium.conflist${ASIDE_SUFFIX}`, "05-cilium.conflist", `notes.txt${ASIDE_SUFFIX}`]))
    .toEqual([{ from: `10-calico.conflist${ASIDE_SUFFIX}`, to: "10-calico.conflist" }]);
});
