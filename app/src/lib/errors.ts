/**
 * Contract reverts in words. viem decodes a revert into the custom error's name and arguments (from the ABIs
 * generated off the artifacts); this table says what each means to the person who sent the transaction.
 * test/errors.test.ts checks that every custom error in the generated ABIs has an entry here.
 */
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { deviceStatusNames, organisationStatusNames, roundStatusName } from "../../../lib/chain/status.ts";

type Args = readonly unknown[];
const organisationStatus: readonly string[] = organisationStatusNames;
const deviceStatus: readonly string[] = deviceStatusNames;
const roundStatus: readonly string[] = roundStatusName;
const versionStatus = ["none", "proposed", "validated", "rejected"];
const short = (value: unknown) => (typeof value === "string" && value.startsWith("0x") && value.length > 14 ? `${value.slice(0, 8)}…${value.slice(-4)}` : String(value));
const named = (names: readonly string[], value: unknown) => names[Number(value)] ?? `status ${String(value)}`;

export const errorWords: Record<string, (args: Args) => string> = {
  AccessManagerAlreadyScheduled: () => "This operation is already scheduled.",
  AccessManagerBadConfirmation: () => "The confirmation does not match the account renouncing the role.",
  AccessManagerExpired: () => "The scheduled operation has expired.",
  AccessManagerInvalidInitialAdmin: () => "The AccessManager needs a non-zero initial admin.",
  AccessManagerLockedFunction: () => "This function is locked by the AccessManager.",
  AccessManagerLockedRole: ([role]) => `Role ${String(role)} is locked and cannot be granted or revoked.`,
  AccessManagerNotReady: () => "The scheduled operation's delay has not passed yet.",
  AccessManagerNotScheduled: () => "The operation was not scheduled.",
  AccessManagerUnauthorizedAccount: ([account, role]) => `Account ${short(account)} lacks role ${String(role)} needed to manage this role.`,
  AccessManagerUnauthorizedCall: ([caller]) => `Account ${short(caller)} is not allowed to make this call.`,
  AccessManagerUnauthorizedCancel: () => "Only the scheduler or a guardian may cancel this operation.",
  AccessManagerUnauthorizedConsume: () => "This contract may not consume the scheduled operation.",
  AddressEmptyCode: ([target]) => `There is no contract at ${short(target)}.`,
  FailedCall: () => "An inner call failed.",
  InsufficientBalance: () => "The contract's balance is too low.",
  SafeCastOverflowedUintDowncast: () => "A number is too large for its field.",
  AccessManagedInvalidAuthority: () => "The contract's authority is not a valid AccessManager.",
  AccessManagedRequiredDelay: ([, delay]) => `Your role may take this action only after a ${String(delay)} s delay; schedule it through the AccessManager.`,
  AccessManagedUnauthorized: ([caller]) => `Not permitted: account ${short(caller)} does not hold a role the AccessManager allows for this action.`,
  AdminAlreadyRegistered: ([account]) => `${short(account)} already administers an organisation.`,
  InvalidAdmin: () => "The organisation's admin must be a non-zero address.",
  InvalidName: () => "The name must not be empty (at most 64 bytes).",
  InvalidOrganisationStatus: ([id, status]) => `Organisation ${String(id)} is ${named(organisationStatus, status)}, so this is not possible.`,
  NotConsortiumAdmin: ([account]) => `${short(account)} is not a consortium admin.`,
  NotOrganisationAdmin: ([caller, id]) => `${short(caller)} does not administer organisation ${String(id)}.`,
  UnknownOrganisation: ([id]) => `There is no organisation ${String(id)}.`,
  DeviceAlreadyRegistered: ([device]) => `Device ${short(device)} is already registered (a device account is registered once, even after revocation).`,
  InvalidAssetLabel: () => "The asset label must not be empty.",
  InvalidDeviceAccount: () => "The device account must be a non-zero address.",
  InvalidFirmwareHash: () => "The firmware hash must be a non-zero 32-byte hash.",
  InvalidMetadataDigest: () => "The metadata digest must be a non-zero 32-byte digest.",
  InvalidStatusTransition: ([device, from, to]) => `Device ${short(device)} cannot go from ${named(deviceStatus, from)} to ${named(deviceStatus, to)}.`,
  NotController: ([caller, id]) => `${short(caller)} does not control organisation ${String(id)}: a member manages its own devices only.`,
  OrganisationNotActive: ([id]) => `Organisation ${String(id)} is not active.`,
  ReputationHold: ([device]) => `Device ${short(device)} is suspended for low reputation; only an admin can lift that.`,
  UnknownAsset: ([asset]) => `There is no asset ${String(asset)}.`,
  UnknownDevice: ([device]) => `Device ${short(device)} is not registered.`,
  BaseVersionNotDeployed: ([base, deployed]) => `Version ${String(base)} is not the deployed version (v${String(deployed)} is).`,
  DeadlineNotInFuture: () => "The round deadline must be in the future.",
  DuplicateAttestation: ([version, oracle]) => `Oracle ${short(oracle)} already voted on version ${String(version)}.`,
  InvalidModel: () => "The model needs a CID and a weights hash.",
  InvalidRoundStatus: ([round, status]) => `Round ${String(round)} is ${named(roundStatus, status)}, so this is not possible.`,
  InvalidTaskName: () => "The task name must not be empty.",
  MalformedPolicy: () => "The validation policy is malformed (check quorum, participants and the privacy settings).",
  NoParticipants: ([round]) => `Round ${String(round)} has no committed participants.`,
  ParticipantsRootMismatch: () => "The proposal's participants root differs from the committed one.",
  RoundExpired: ([round]) => `Round ${String(round)} is past its deadline.`,
  RoundStillLive: ([round]) => `Round ${String(round)} is still live.`,
  TaskAlreadyExists: () => "A task with this name already exists.",
  UnknownRound: ([round]) => `There is no round ${String(round)}.`,
  UnknownTask: ([task]) => `There is no task ${short(task)}.`,
  UnknownVersion: ([version]) => `There is no version ${String(version)}.`,
  VersionNotProposed: ([version, status]) => `Version ${String(version)} is ${named(versionStatus, status)}, not proposed.`,
  BaseVersionMismatch: ([expected, given]) => `The update is based on v${String(given)}, but the round trains v${String(expected)}.`,
  DeviceNotActive: ([device]) => `Device ${short(device)} is not active.`,
  DeviceWasEligible: ([device]) => `Device ${short(device)} was eligible, so leaving it out is not a valid challenge.`,
  DuplicateSubmission: ([round, device]) => `Device ${short(device)} already submitted to round ${String(round)}.`,
  ECDSAInvalidSignature: () => "The signature is invalid.",
  ECDSAInvalidSignatureLength: () => "The signature has the wrong length.",
  ECDSAInvalidSignatureS: () => "The signature is malleable (high s).",
  EmptyCommitment: () => "A commitment needs at least one update.",
  InvalidProof: () => "The Merkle proof does not match the committed root.",
  InvalidShortString: () => "The string is too long.",
  InvalidUpdate: () => "The update is malformed.",
  NonceAlreadyUsed: ([device, nonce]) => `Device ${short(device)} already used nonce ${String(nonce)}.`,
  NotACommittedRound: ([round]) => `Round ${String(round)} has no commitment.`,
  SignatureExpired: () => "The signature has expired.",
  StringTooLong: () => "The string is too long.",
  TaskMismatch: () => "The update is for another task.",
  BatchTooLarge: ([size, max]) => `The batch has ${String(size)} entries; at most ${String(max)} are allowed.`,
  EmptyBatch: () => "The batch is empty.",
  UnorderedBatch: ([index]) => `Entry ${String(index)} of the batch is out of order: entries go by organisation, then device address, each device once.`,
  LengthMismatch: ([accounts, values]) => `${String(accounts)} devices were given with ${String(values)} values; they must pair up.`,
  RoundAlreadyScored: ([round]) => `Round ${String(round)} is already scored.`,
  ScoreOutOfRange: () => "The score is out of range.",
  InvalidWindow: () => "The telemetry window is malformed.",
  InactiveRecipient: ([id]) => `Organisation ${String(id)} is not active, so it cannot receive data.`,
  InvalidRecord: () => "The data-sharing record is malformed.",
  NotAMember: ([caller]) => `${short(caller)} is not a member organisation's admin.`,
  NotAuthorisedReader: ([reader]) => `${short(reader)} may not read this record.`,
  UnknownRecord: ([id]) => `There is no record ${String(id)}.`,
  DecryptionAlreadyRecorded: ([round]) => `Round ${String(round)}'s decryption is already recorded.`,
  InvalidDecryption: () => "The decryption record is malformed.",
  InvalidKey: () => "The key is malformed.",
  NotEncryptedTask: () => "The task does not use encrypted aggregation.",
  RoundNotCommitted: ([round, status]) => `Round ${String(round)} is ${named(roundStatus, status)}, not committed.`,
  TooFewCommittedUpdates: ([round, committed, minimum]) => `Round ${String(round)} committed ${String(committed)} updates; at least ${String(minimum)} are needed.`,
  UnknownKey: ([key]) => `There is no key ${String(key)}.`,
};

export interface DescribedError {
  /** The custom error's name, when the chain reverted with one. */
  errorName?: string;
  message: string;
}

/** What went wrong, in words: a decoded custom error, a rejected wallet request, or the node's message. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof BaseError) {
    const rejected = error.walk((cause) => cause instanceof UserRejectedRequestError);
    if (rejected) return { message: "You rejected the request in your wallet." };
    const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName;
      if (name) {
        const words = errorWords[name];
        return { errorName: name, message: words ? words(reverted.data?.args ?? []) : `The contract refused with ${name}.` };
      }
      return { message: reverted.reason ? `The contract refused: ${reverted.reason}` : "The contract refused without a reason." };
    }
    return { message: error.shortMessage };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
