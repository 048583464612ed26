import { decodeLink, getLinkRequest, type Link } from "../netlink/link.ts";
import type { RtnlSocket } from "./netlink-socket.ts";

/** The link named `name` on the socket's namespace, or undefined (`where` only names it in errors). */
export function getLink(s: RtnlSocket, name: string, where: string): Link | undefined {
  const m = s.get((seq) => getLinkRequest(seq, name), `interface ${name}${where}`);
  return m === undefined ? undefined : decodeLink(m.payload);
}
