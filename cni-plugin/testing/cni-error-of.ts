import { CniError } from "../cni-error.ts";

/** Runs `fn` and returns the CniError it throws; fails the test if it throws nothing or something else. */
export function cniErrorOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniError) return err;
    throw err;
  }
  throw new Error("expected a CniError, but nothing was thrown");
}
