import type { PluginDeps } from "../ports.ts";

/**
 * The lock discipline of the plugin's verbs (ports.ts, LockName): alloc before gate, always.
 * `exclusively` holds both exclusively (GC, the record format migration): no ADD or DEL is then
 * between its start and its end, and none can start.
 */
export function exclusively<T>(deps: PluginDeps, fn: () => T): T {
  const releaseAlloc = deps.lock.acquire("alloc", "exclusive");
  try {
    const releaseGate = deps.lock.acquire("gate", "exclusive");
    try {
      migrateIfNeeded(deps, true);
      return fn();
    } finally {
      releaseGate();
    }
  } finally {
    releaseAlloc();
  }
}

/** Rewrites older records once; `held` when the caller already holds both locks exclusively. */
export function migrateIfNeeded(deps: PluginDeps, held: boolean): void {
  if (!deps.store.needsMigration()) return;
  const run = () => {
    if (!deps.store.needsMigration()) return; // another run did it while we waited
    const n = deps.store.migrate();
    deps.log.info("allocation records migrated to the current format", { rewritten: n });
  };
  if (held) {
    run();
    return;
  }
  const releaseGate = deps.lock.acquire("gate", "exclusive");
  try {
    run();
  } finally {
    releaseGate();
  }
}
