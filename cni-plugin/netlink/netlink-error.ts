import { errnoName, errnoText } from "./errno.ts";

/**
 * The kernel refused a request. The message names the object first, as iproute2's would read
 * in context: `veth ptl0123456789ab: File exists`, with the kernel's extended-ack text when it
 * gave one: `route 198.18.0.7/32 dev ptl…: Network is down (Nexthop device is not up)`.
 */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly object: string;
  readonly detail: string | undefined;

  constructor(object: string, errno: number, detail?: string) {
    super(`${object}: ${errnoText(errno)}${detail === undefined ? "" : ` (${detail})`}`);
    this.name = "NetlinkError";
    this.object = object;
    this.errno = errno;
    this.detail = detail;
  }

  get code(): string {
    return errnoName(this.errno);
  }
}
