// strncpy_from_user as the model's getname and execve use it (paths/syscalls.ts):
// the string up to its NUL, -EFAULT when a byte before the NUL is unmapped
// (also after some bytes were read), -ENAMETOOLONG without a NUL in PATH_MAX.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { PATH_MAX, strncpyFromUser } from "../../src/kernel-model/paths/syscalls.js";

describe("strncpyFromUser", () => {
  const k = new SyntheticKernel({ seed: 1 });
  const tgid = k.current().tgid;
  const user = k.memory.userSpace(tgid);

  it("copies up to the NUL, however the string falls across 64-byte chunks", () => {
    for (const len of [0, 1, 63, 64, 65, 200]) {
      const s = "x".repeat(len);
      const addr = user.allocString(s);
      expect(strncpyFromUser(k, tgid, addr)).toBe(s);
      user.heapFree(addr);
    }
  });

  it("-ENAMETOOLONG without a NUL in PATH_MAX bytes, -EFAULT for unmapped memory", () => {
    const long = user.heapAlloc(PATH_MAX + 16, "a".repeat(PATH_MAX + 16));
    expect(strncpyFromUser(k, tgid, long)).toBe(-36);
    user.heapFree(long);
    expect(strncpyFromUser(k, tgid, 0x1000n)).toBe(-14);
  });

  it("-EFAULT when the bytes before the NUL run into unmapped memory", () => {
    // The last 10 bytes of a mapped page, no NUL among them, then an unmapped page.
    const page = 0x7e0000000000n;
    user.map(page, 4096);
    user.write(page + 4086n, new Uint8Array(10).fill(0x61));
    expect(strncpyFromUser(k, tgid, page + 4086n)).toBe(-14);
    // With a NUL just before the end it is a string.
    user.write(page + 4095n, Uint8Array.of(0));
    expect(strncpyFromUser(k, tgid, page + 4086n)).toBe("a".repeat(9));
  });
});
