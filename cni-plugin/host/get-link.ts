import { decodeLink, getLinkByIndexRequest, getLinkRequest, type Link } from "../netlink/link.ts";
import type { RtnlSocket } from "./netlink-socket.ts";

/** The link named `name` (or with ifindex `name`) on the socket's namespace, or undefined (`where` only names it in errors). */
export function getLink(s: RtnlSocket, name: string | number, where: string): Link | undefined {
  const m = typeof name === "number"
    ? s.get((seq) => getLinkByIndexRequest(seq, name), `interface with ifindex ${name}${where}`)
    : s.get((seq) => getLinkRequest(seq, name), `interface ${name}${where}`);
  return m === undefined ? undefined : decodeLink(m.payload);
}
