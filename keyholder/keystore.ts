/**
 * The key holder's secret keys on disk, one file per published key (`key-<id>.secret`, mode 0600). A new key is
 * written as `pending-<publicKeyHash>.secret` and fsynced before its public half is published, then renamed to its
 * id: a crash between the two leaves a pending file that `adoptPublished` names once the chain shows the key, so
 * no published key's secret is ever lost. Old keys stay, so rounds aggregated under them can still be decrypted.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";

export class KeyStore {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  /** Durably stores a secret key not yet published, named by its public key's hash. */
  savePending(publicKeyHash: Hex, secretKey: Uint8Array): void {
    writeDurably(this.#pendingPath(publicKeyHash), secretKey);
  }

  /** Names a pending key by the id the chain gave it. */
  promote(publicKeyHash: Hex, keyId: bigint): void {
    renameSync(this.#pendingPath(publicKeyHash), this.#keyPath(keyId));
    syncDirectory(this.directory);
  }

  /** Promotes every pending key the chain has published (after a crash between publishing and promoting). */
  adoptPublished(published: ReadonlyMap<string, bigint>): bigint[] {
    const adopted: bigint[] = [];
    for (const name of readdirSync(this.directory)) {
      const match = /^pending-(0x[0-9a-f]{64})\.secret$/.exec(name);
      const keyId = match ? published.get(match[1]!) : undefined;
      if (keyId === undefined || this.has(keyId)) continue;
      this.promote(match![1]! as Hex, keyId);
      adopted.push(keyId);
    }
    return adopted;
  }

  has(keyId: bigint): boolean {
    return existsSync(this.#keyPath(keyId));
  }

  load(keyId: bigint): Uint8Array {
    try {
      return new Uint8Array(readFileSync(this.#keyPath(keyId)));
    } catch (error) {
      throw new Error(`this key holder has no secret key ${keyId} in ${this.directory}`, { cause: error });
    }
  }

  /** The ids of the keys held, ascending. */
  keyIds(): bigint[] {
    return readdirSync(this.directory)
      .map((name) => /^key-(\d+)\.secret$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(BigInt)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  #pendingPath(publicKeyHash: Hex): string {
    return join(this.directory, `pending-${publicKeyHash.toLowerCase()}.secret`);
  }

  #keyPath(keyId: bigint): string {
    return join(this.directory, `key-${keyId}.secret`);
  }
}

function writeDurably(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(join(path, ".."));
}

function syncDirectory(directory: string): void {
  const fd = openSync(directory, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
