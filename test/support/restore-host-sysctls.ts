// jest setupFilesAfterEnv of the privileged project: every test file leaves the root namespace's
// forwarding switches as it found them, whatever the plugin (which turns IPv4 forwarding on at
// ADD) or the file itself changed. Files that need a value set it themselves (overrideSysctls).
import { forwardingSysctls, snapshotSysctls } from "./host-sysctls.ts";

let restore: (() => void) | undefined;

beforeAll(() => {
  restore = snapshotSysctls(forwardingSysctls);
});

afterAll(() => {
  restore?.();
});
