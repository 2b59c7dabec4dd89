import type { ReactNode } from "react";
import { DataState } from "../DataState";
import { TwinUnavailableError } from "./twin-api";

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * DataState for the twin's views. An absent or silent twin service (503/502 from /api/twin) is said in words rather
 * than as a failure, and a refresh that fails after data arrived keeps the last data on screen with a notice, so
 * the live parts of the page (the event stream) survive a hiccup of the twin.
 */
export function TwinDataState({ error, hasData = false, children, ...rest }: Parameters<typeof DataState>[0] & { hasData?: boolean; children: ReactNode }) {
  const stale = Boolean(error) && hasData;
  // One tree shape whether or not the notice shows: a changed shape would remount the children (and the stream).
  return (
    <>
      {stale ? (
        <p role="status" className="hint" data-testid="twin-stale">
          {error instanceof TwinUnavailableError ? "The digital-twin service is not answering" : "The last refresh failed"} ({messageOf(error)}); showing what it last said.
        </p>
      ) : null}
      {!stale && error instanceof TwinUnavailableError ? (
        <DataState {...rest} loading={false} empty emptyText={<span role="status" data-testid="twin-unavailable">The digital-twin service is not available: {error.message}</span>}>
          {null}
        </DataState>
      ) : (
        <DataState {...rest} error={stale ? undefined : error}>
          {children}
        </DataState>
      )}
    </>
  );
}
