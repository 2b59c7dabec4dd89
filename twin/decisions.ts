/**
 * The twin's decision rules, pure: when to recommend maintenance and when a drifting sensor is more likely out of
 * calibration than a sign of wear.
 */

/** Decision thresholds. */
export interface DecisionConfig {
  /** Recommend maintenance when the predicted RUL falls below this many cycles. */
  maintenanceHorizon: number;
  /**
   * A drift alarm on one sensor is a calibration event when every other sensor of the device scores below
   * driftThreshold × this: wear moves several sensors together, a miscalibrated sensor moves alone.
   */
  calibrationIsolation: number;
}

export const defaultDecisionConfig: DecisionConfig = { maintenanceHorizon: 30, calibrationIsolation: 0.5 };

/** Whether a unit predicted to have `rul` cycles left should be scheduled for maintenance. */
export function maintenanceDue(rul: number, horizon: number): boolean {
  return Number.isFinite(rul) && rul < horizon;
}

/**
 * Whether `sensor`'s drift is isolated: its own score has reached `threshold` while every other sensor's score
 * (NaN = not scored, ignored) stays below threshold × isolation.
 */
export function isolatedDrift(driftScores: Float64Array, sensor: number, threshold: number, isolation: number): boolean {
  if (!(driftScores[sensor]! >= threshold)) return false;
  const quiet = threshold * isolation;
  for (let s = 0; s < driftScores.length; s++) {
    if (s !== sensor && driftScores[s]! >= quiet) return false;
  }
  return true;
}

/**
 * One maintenance recommendation per unit: armed when a unit starts, fires the first time its RUL falls under
 * the horizon. Returns whether to recommend now, and the next armed state.
 */
export function maintenanceTransition(armed: boolean, rul: number, horizon: number): { recommend: boolean; armed: boolean } {
  if (armed && maintenanceDue(rul, horizon)) return { recommend: true, armed: false };
  return { recommend: false, armed };
}
