import type { VerificationStep } from "./model-verification";
import styles from "./Audit.module.css";

/** What a verification checked, in order, each passed or failed with its evidence. */
export function StepList({ steps, label }: { steps: readonly VerificationStep[]; label: string }) {
  return (
    <ol className={styles.steps} aria-label={label}>
      {steps.map((step) => (
        <li key={step.name} className={step.ok ? styles.stepOk : styles.stepFailed} data-ok={step.ok}>
          <span className={styles.stepMark} aria-hidden="true">{step.ok ? "✔" : "✘"}</span>
          <span className={styles.stepText}>
            <strong>{step.name}<span className="sr-only">{step.ok ? " passed" : " failed"}</span></strong>: {step.detail}
          </span>
        </li>
      ))}
    </ol>
  );
}
