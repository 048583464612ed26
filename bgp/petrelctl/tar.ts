/**
 * A POSIX ustar archive of regular files, for `petrelctl diags`. Hand-written (about 40 lines)
 * rather than a library: petrelctl ships as one self-contained executable, and diags writes only
 * plain files with short relative names, never reads an archive, links or special files. Pure.
 */

export interface TarFile {
  /** Relative path with "/" separators, at most 255 bytes (100 + a 155-byte prefix). */
  readonly name: string;
  readonly content: Uint8Array;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly mode?: number;
}

const encoder = new TextEncoder();

function field(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > length) throw new Error(`tar header field too long: ${text}`);
  header.set(bytes, offset);
}

const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");

/** name, prefix: ustar keeps names over 100 bytes as prefix "/" name. */
function splitName(name: string): [string, string] {
  if (encoder.encode(name).length <= 100) return [name, ""];
  for (let i = name.indexOf("/"); i !== -1; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(rest).length <= 100) return [rest, prefix];
  }
  throw new Error(`file name too long for a tar archive: ${name}`);
}

function header(f: TarFile): Uint8Array {
  const h = new Uint8Array(512);
  const [name, prefix] = splitName(f.name);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(f.mode ?? 0o644, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(f.content.length, 12));
  field(h, 136, 12, octal(Math.max(0, Math.floor(f.mtime)), 12));
  field(h, 148, 8, "        "); // the checksum counts its own field as spaces
  field(h, 156, 1, "0");
  field(h, 257, 6, "ustar");
  field(h, 263, 2, "00");
  field(h, 265, 32, "root");
  field(h, 297, 32, "root");
  field(h, 345, 155, prefix);
  const sum = h.reduce((a, b) => a + b, 0);
  field(h, 148, 8, `${octal(sum, 7)}\0`);
  return h;
}

export function tarArchive(files: readonly TarFile[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    parts.push(header(f), f.content);
    const pad = (512 - (f.content.length % 512)) % 512;
    if (pad > 0) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two zero blocks end the archive
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
