// jest setupFilesAfterEnv of the privileged project, run in every privileged test file.
import { forwardingSysctls, snapshotSysctls } from "./host-sysctls.ts";

// jest takes `testTimeout` from the top-level config only, not from a project's: without this the
// privileged tests ran with jest's 5 s default (seen: the podman test "Exceeded timeout of 5000
// ms" on a fresh machine). Files and tests that need longer still say so themselves.
jest.setTimeout(120_000);

// Every file leaves the root namespace's forwarding switches as it found them, whatever the
// plugin (which turns IPv4 forwarding on at ADD) or the file itself changed. Files that need a
// value set it themselves (host-sysctls.ts, overrideSysctls).
let restore: (() => void) | undefined;

beforeAll(() => {
  restore = snapshotSysctls(forwardingSysctls);
});

afterAll(() => {
  restore?.();
});
