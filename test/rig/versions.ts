// Pinned versions of the test-only Kubernetes binaries. The single source of truth: build-k8s.sh
// reads the `export const` lines with sed, binaries.ts imports them. Change them together with docs/k8s-rig.md.
//
// kube-apiserver and kubectl come from k8s.io/kubernetes at K8S_VERSION, with every k8s.io staging
// module replaced by v0.<minor>.<patch> of the same release. ETCD_VERSION is the etcd release that
// this Kubernetes version's go.mod pins for go.etcd.io/etcd/{client,server}/v3.
export const K8S_VERSION = "v1.36.3";
export const ETCD_VERSION = "v3.6.8";
// helm.sh/helm/v4 at HELM_VERSION runs the chart tests (lint, template, install).
export const HELM_VERSION = "v4.3.1";
// CoreDNS at COREDNS_VERSION is the multi-node rig's cluster DNS: the version kubeadm of K8S_VERSION
// installs (cmd/kubeadm/app/constants CoreDNSVersion).
export const COREDNS_VERSION = "v1.14.2";
