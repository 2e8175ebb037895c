import { readUint32, writeUint32 } from './uint32.js';

describe('uint32 helpers', () => {
  it('read and write like Buffer#readUInt32BE / writeUInt32BE', () => {
    for (const value of [0, 1, 255, 256, 0x1234_5678, 0x8000_0000, 0xffff_ffff]) {
      const ours = Buffer.alloc(7);
      const node = Buffer.alloc(7);
      expect(writeUint32(ours, 2, value)).toBe(node.writeUInt32BE(value, 2));
      expect(ours).toEqual(node);
      expect(readUint32(ours, 2)).toBe(node.readUInt32BE(2));
    }
  });
});
