import { MemoryBlockstore } from "blockstore-core/memory";
import { importer, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import type { CID } from "multiformats/cid";

/** The UnixFS importer settings of Kubo's `ipfs add` defaults (CIDv0), so our CIDs equal Kubo's for the same bytes. */
export const kuboImporterOptions: Partial<ImporterOptions> = {
  cidVersion: 0,
  rawLeaves: false,
  chunker: fixedSize({ chunkSize: 262_144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  reduceSingleLeafToSelf: true,
};

/** The CID `ipfs add` gives these bytes, computed without storing them anywhere. */
export async function kuboCidOf(bytes: Uint8Array): Promise<CID> {
  let root: CID | undefined;
  for await (const entry of importer([{ content: bytes }], new MemoryBlockstore(), kuboImporterOptions)) root = entry.cid;
  if (!root) throw new Error("importer produced no CID");
  return root;
}
