import { InvalidInputError } from "../common/errors.ts";
import { controllerCommand, controllerOptions } from "./options.ts";

// commander 15 is ESM-only, and jest here loads modules as CommonJS (requiring ESM needs
// --experimental-vm-modules). The stand-in records the options that controllerCommand()
// declares, so the tests still use its flag names and defaults; `parse` below maps flags to
// keys the way commander does (--foo-bar -> fooBar, --no-foo -> foo: false).
jest.mock("commander", () => {
  class Option {
    readonly flags: string;
    defaultValue: unknown;
    constructor(flags: string) {
      this.flags = flags;
    }
    choices(): this {
      return this;
    }
    default(value: unknown): this {
      this.defaultValue = value;
      return this;
    }
  }
  class Command {
    readonly declared: { flags: string; defaultValue: unknown }[] = [];
    description(): this {
      return this;
    }
    version(): this {
      return this;
    }
    option(flags: string, _help: string, defaultValue?: unknown): this {
      this.declared.push({ flags, defaultValue });
      return this;
    }
    addOption(o: Option): this {
      this.declared.push({ flags: o.flags, defaultValue: o.defaultValue });
      return this;
    }
  }
  return { Command, Option };
});

interface Declared {
  readonly declared: readonly { flags: string; defaultValue: unknown }[];
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Flags as commander would hand them over for `args` (each flag followed by its value). */
function parse(args: string[]): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  const byFlag = new Map<string, { key: string; negated: boolean }>();
  for (const { flags: spec, defaultValue } of (controllerCommand("node v24") as unknown as Declared).declared) {
    const long = /--([a-z-]+)/.exec(spec)?.[1] ?? "";
    const negated = long.startsWith("no-");
    const key = camel(negated ? long.slice(3) : long);
    byFlag.set(`--${long}`, { key, negated });
    if (negated) flags[key] = true;
    else if (defaultValue !== undefined) flags[key] = defaultValue;
  }
  for (let i = 0; i < args.length; i++) {
    const known = byFlag.get(args[i] ?? "");
    if (known === undefined) throw new Error(`unknown flag ${args[i]}`);
    if (known.negated) flags[known.key] = false;
    else flags[known.key] = args[++i];
  }
  return flags;
}

function optionsFrom(args: string[], env: NodeJS.ProcessEnv = {}) {
  return controllerOptions(parse(args), env, "host_abcd1234");
}

/** The InvalidInputError that `args` produce, or a test failure when they are accepted. */
function errorFrom(args: string[]): InvalidInputError {
  try {
    optionsFrom(args);
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error(`${args.join(" ")} was accepted`);
}

describe("controllerOptions", () => {
  it("gives the documented defaults", () => {
    expect(optionsFrom([])).toEqual({
      kubeconfig: undefined,
      identity: "host_abcd1234",
      leaderElect: true,
      leaseNamespace: "kube-system",
      leaseName: "petrel-controller",
      election: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      plan: { nodeGracePeriodMs: 300_000, releaseGracePeriodMs: 600_000, highWater: 0.8, lowWater: 0.5, statusMinIntervalMs: 1000 },
      loop: { debounceMs: 50, resyncMs: 60_000, minBackoffMs: 500, maxBackoffMs: 30_000 },
      concurrency: 16,
      healthAddress: "0.0.0.0:9094",
      eventNamespace: "default",
      logLevel: "info",
      releaseFinalizers: false,
    });
  });

  it("--release-finalizers selects the uninstall mode", () => {
    expect(controllerOptions({ ...parse([]), releaseFinalizers: true }, {}, "h").releaseFinalizers).toBe(true);
  });

  it("takes identity and lease namespace from the environment, and flags over the environment", () => {
    const env = { POD_NAME: "petrel-controller-7d9f", POD_NAMESPACE: "petrel-system" };
    expect(optionsFrom([], env)).toMatchObject({ identity: "petrel-controller-7d9f", leaseNamespace: "petrel-system" });
    expect(optionsFrom(["--identity", "me", "--lease-namespace", "ns"], env)).toMatchObject({ identity: "me", leaseNamespace: "ns" });
  });

  it("reads every flag", () => {
    const o = optionsFrom([
      "--kubeconfig", "/etc/kube.conf", "--no-leader-elect", "--lease-name", "l",
      "--leader-elect-lease-duration", "1m", "--leader-elect-renew-deadline", "40s", "--leader-elect-retry-period", "5s",
      "--node-grace-period", "1m30s", "--release-grace-period", "1h", "--high-water", "0.9", "--low-water", "0.25",
      "--resync-period", "30s", "--status-interval", "500ms", "--concurrency", "4",
      "--health-address", "[::1]:19094", "--event-namespace", "petrel", "--log-level", "debug",
    ]);
    expect(o).toMatchObject({
      kubeconfig: "/etc/kube.conf",
      leaderElect: false,
      leaseName: "l",
      election: { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 5_000 },
      plan: { nodeGracePeriodMs: 90_000, releaseGracePeriodMs: 3_600_000, highWater: 0.9, lowWater: 0.25, statusMinIntervalMs: 500 },
      loop: { resyncMs: 30_000 },
      concurrency: 4,
      healthAddress: "[::1]:19094",
      eventNamespace: "petrel",
      logLevel: "debug",
    });
  });

  it.each([
    [["--leader-elect-lease-duration", "15"], "--leader-elect-lease-duration"],
    [["--leader-elect-renew-deadline", "ten seconds"], "--leader-elect-renew-deadline"],
    [["--leader-elect-retry-period", "2"], "--leader-elect-retry-period"],
    [["--leader-elect-renew-deadline", "15s"], "--leader-elect-renew-deadline"],
    [["--leader-elect-retry-period", "10s"], "--leader-elect-retry-period"],
    [["--node-grace-period", "5 minutes"], "--node-grace-period"],
    [["--release-grace-period", "1d"], "--release-grace-period"],
    [["--resync-period", ""], "--resync-period"],
    [["--status-interval", "-1s"], "--status-interval"],
    [["--high-water", "1.5"], "--high-water"],
    [["--high-water", "0"], "--high-water"],
    [["--low-water", "half"], "--low-water"],
    [["--low-water", "0.8"], "--low-water"],
    [["--low-water", "0.9"], "--low-water"],
    [["--concurrency", "0"], "--concurrency"],
    [["--concurrency", "2.5"], "--concurrency"],
    [["--concurrency", "257"], "--concurrency"],
    [["--concurrency", "many"], "--concurrency"],
    [["--health-address", "9094"], "--health-address"],
    [["--health-address", "::1:9094"], "--health-address"],
    [["--health-address", "localhost:http"], "--health-address"],
  ])("rejects %p naming %s", (args, flag) => {
    const err = errorFrom(args);
    expect(err.field).toBe(flag);
    expect(err.message.startsWith(`${flag}: `)).toBe(true);
    expect(err.kind).toBe("permanent");
  });

  it("says which other flag a relative limit refers to", () => {
    expect(errorFrom(["--leader-elect-renew-deadline", "20s"]).message).toContain("--leader-elect-lease-duration");
    expect(errorFrom(["--low-water", "0.9"]).message).toContain("--high-water (0.8)");
  });

  it.each(["127.0.0.1:19094", "[::1]:9094", ":9094", "metrics.local:9094"])("accepts --health-address %s", (address) => {
    expect(optionsFrom(["--health-address", address]).healthAddress).toBe(address);
  });

  // Regression (was a bug, fixed): the port is checked as 1 to 5 digits, so 65536..99999 pass validation and the health
  // server only fails later, at listen time, with a message that does not name the flag.
  test("rejects a --health-address port above 65535", () => {
    expect(errorFrom(["--health-address", "0.0.0.0:99999"]).field).toBe("--health-address");
  });
});
