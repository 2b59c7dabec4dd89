import { expect } from "chai";
import hre, { network } from "hardhat";
import { describe, it } from "node:test";
import { keccak256, toBytes, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { labelToBytes32 } from "../../lib/chain/labels.ts";
import { orderScoreChanges } from "../../lib/chain/reputation-batch.ts";
import { makeFixture } from "../helpers/fixture.ts";
import { openRound } from "../helpers/rounds.ts";

/**
 * Gas limits that are behaviour: a transaction over the chain's cap is refused, so what must fit in one transaction
 * is tested here, without coverage instrumentation (which adds gas to every statement).
 */
const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);
const coverage = hre.globalOptions.coverage === true;
/** Post-Fusaka (EIP-7825) limit on one transaction's gas, which Hardhat's default network enforces. */
const TRANSACTION_GAS_CAP = 16_777_216n;
const inOrder = <T extends { deviceAccount: Address; delta: number; reason: number }>(changes: T[]): T[] => orderScoreChanges(changes, () => 1);

describe("Reputation gas", () => {
  it("applies a round of 1,000 devices in one transaction under the transaction gas cap, first round and later", { skip: coverage && "coverage instrumentation inflates gas; npm test runs this file again without it" }, async () => {
    const f = await networkHelpers.loadFixture(deployAndSeed);
    const member = f.as(f.wallets.members[0]!).devices;
    const accounts: Address[] = [];
    for (let asset = 0; asset < 10; asset++) {
      await f.send(member.write.registerAsset([1, labelToBytes32(`fleet-${asset}`)]));
      const assetId = await member.read.assetCount();
      for (let i = 0; i < 100; i++) {
        const account = privateKeyToAccount(keccak256(toBytes(`fleet-device-${asset}-${i}`))).address;
        await f.send(member.write.registerDevice([account, assetId, keccak256(toBytes("fw")), keccak256(toBytes("md"))]));
        accounts.push(account);
      }
    }
    const oracle = f.as(f.wallets.oracles[0]!).reputation;
    const batch = inOrder(accounts.map((deviceAccount, i) => ({ deviceAccount, delta: i % 5 === 0 ? -20 : 10, reason: i % 5 === 0 ? 3 : 1 })));
    for (const round of [1, 2]) {
      if (round > 1) await networkHelpers.time.increase(3601n);
      const receipt = await f.send(oracle.write.applyRoundChanges([await openRound(f), batch]));
      expect(receipt.gasUsed < TRANSACTION_GAS_CAP, `round ${round}: ${receipt.gasUsed} gas`).to.equal(true);
    }
    expect(await oracle.read.deviceScore([batch[0]!.deviceAccount])).to.equal(500 + 2 * batch[0]!.delta);
    expect(await oracle.read.deviceScore([batch[999]!.deviceAccount])).to.equal(500 + 2 * batch[999]!.delta);
  });
});
