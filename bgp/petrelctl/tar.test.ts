import { tarArchive } from "./tar.ts";

const text = (b: Uint8Array, from: number, to: number) => new TextDecoder().decode(b.slice(from, to)).replace(/\0+$/, "");

test("ustar headers: name, size, checksum; data padded to 512; two zero blocks at the end", () => {
  const content = new TextEncoder().encode("hello\n");
  const tar = tarArchive([{ name: "diags/versions.txt", content, mtime: 1_700_000_000 }]);
  expect(tar.length).toBe(512 + 512 + 1024);
  expect(text(tar, 0, 100)).toBe("diags/versions.txt");
  expect(text(tar, 124, 136)).toBe("00000000006");
  expect(text(tar, 257, 263)).toBe("ustar");
  const stored = parseInt(text(tar, 148, 155), 8);
  const h = tar.slice(0, 512);
  h.fill(32, 148, 156);
  expect(stored).toBe(h.reduce((a, b) => a + b, 0));
  expect(text(tar, 512, 518)).toBe("hello\n");
  expect(tar.slice(1024).every((b) => b === 0)).toBe(true);
});

test("long names go into the prefix field; too long ones are refused", () => {
  const long = `${"d".repeat(60)}/${"f".repeat(90)}.txt`;
  const tar = tarArchive([{ name: long, content: new Uint8Array(0), mtime: 0 }]);
  expect(text(tar, 0, 100)).toBe(`${"f".repeat(90)}.txt`);
  expect(text(tar, 345, 500)).toBe("d".repeat(60));
  expect(() => tarArchive([{ name: "x".repeat(300), content: new Uint8Array(0), mtime: 0 }])).toThrow("file name too long");
});
