// The entry names of a zip file, read from its central directory (what `unzip -l` lists).
import { readFileSync } from 'node:fs';

export function zipEntries(path) {
  const b = readFileSync(path);
  let eocd = b.length - 22;
  while (eocd >= 0 && b.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${path}: not a zip file`);
  const count = b.readUInt16LE(eocd + 10);
  let at = b.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    if (b.readUInt32LE(at) !== 0x02014b50) throw new Error(`${path}: bad central directory`);
    const [n, x, c] = [b.readUInt16LE(at + 28), b.readUInt16LE(at + 30), b.readUInt16LE(at + 32)];
    names.push(b.toString('utf8', at + 46, at + 46 + n));
    at += 46 + n + x + c;
  }
  return names;
}
