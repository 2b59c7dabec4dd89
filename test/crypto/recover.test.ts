import { expect } from "chai";
import { describe, it } from "node:test";
import { hashMessage, keccak256, recoverAddress, toBytes, toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { recoverSigner, recoveryBackend } from "../../lib/crypto/recover.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe(`signer recovery (${recoveryBackend})`, () => {
  it("recovers the same address as viem for many keys and messages", async () => {
    for (let i = 0; i < 25; i++) {
      const account = privateKeyToAccount(generatePrivateKey());
      const message = `window ${i}`;
      const signature = await account.signMessage({ message });
      const digest = hashMessage(message);
      expect(await recoverSigner(digest, signature)).to.equal(account.address);
      expect(await recoverSigner(toBytes(digest), signature)).to.equal(await recoverAddress({ hash: digest, signature }));
    }
  });

  it("gives another address for another digest, and null for malformed or high-s signatures", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const signature = await account.signMessage({ message: "a" });
    expect(await recoverSigner(keccak256(toBytes("b")), signature)).to.not.equal(account.address);
    expect(await recoverSigner(hashMessage("a"), "0x1234")).to.equal(null);
    // The same signature with s' = n - s (and v flipped) is valid ECDSA, but malleable: OpenZeppelin refuses it, so do we.
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = Number.parseInt(signature.slice(130), 16);
    const flipped = `${signature.slice(0, 66)}${toHex(N - s, { size: 32 }).slice(2)}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    expect(await recoverSigner(hashMessage("a"), flipped)).to.equal(null);
  });
});
