import type { ReactNode } from "react";

/**
 * Loading, failure and empty states in one place, so every page treats them alike. Children render only when
 * there is data; `data-loaded` marks the moment (bench:web and the end-to-end tests wait for it).
 */
export function DataState({ loading, error, empty, emptyText, children, label }: {
  loading: boolean;
  error?: unknown;
  empty?: boolean;
  emptyText?: ReactNode;
  label: string;
  children: ReactNode;
}) {
  if (error) {
    return (
      <div role="alert" className="state state-error" data-state="error">
        Could not load {label}: {error instanceof Error ? error.message : String(error)}
      </div>
    );
  }
  if (loading) {
    return (
      <div role="status" aria-live="polite" className="state state-loading" data-state="loading">
        <span className="spinner" aria-hidden="true" /> Loading {label}…
      </div>
    );
  }
  if (empty) {
    return (
      <div className="state state-empty" data-state="empty" data-loaded="true">
        {emptyText ?? `No ${label} yet.`}
      </div>
    );
  }
  return <div data-state="ready" data-loaded="true">{children}</div>;
}
