import { describePolicy } from "./policy-words";
import type { TaskPolicyRecord } from "./task-history";

/** The task's validation policy, as the chain judges every proposed version by it. */
export function PolicySummary({ policy }: { policy: TaskPolicyRecord | undefined }) {
  return (
    <section className="panel" aria-labelledby="policy-heading" data-testid="policy">
      <h2 id="policy-heading">Validation policy</h2>
      {policy === undefined ? (
        <p className="muted">The chain log has no policy for this task yet.</p>
      ) : (
        <>
          <p className="hint">A version is deployed if and only if all of this holds once the quorum agrees on its weights.</p>
          <dl className="facts">
            {describePolicy(policy).map((clause) => (
              <div key={clause.term} style={{ display: "contents" }}>
                <dt>{clause.term}</dt>
                <dd>{clause.words}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
