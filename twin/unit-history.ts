/**
 * The raw history of an asset's current unit (one run from cycle 1 until the unit is replaced), in the columns the
 * feature pipeline needs. The model was trained on whole units, so the features of a cycle depend on every
 * earlier cycle of its unit and on nothing before it: a cycle count that does not increase starts a new unit.
 */
export class UnitHistory {
  readonly width: number;
  private cycles = new Float64Array(256);
  private values: Float64Array;
  private rows = 0;
  /** Units started so far (the first reading starts unit 1). */
  unitsStarted = 0;

  constructor(width: number) {
    if (!Number.isInteger(width) || width < 1) throw new Error(`a unit history needs at least one column, got ${width}`);
    this.width = width;
    this.values = new Float64Array(256 * width);
  }

  get length(): number {
    return this.rows;
  }

  /** The cycle count of the latest row (NaN when empty). */
  get lastCycle(): number {
    return this.rows === 0 ? Number.NaN : this.cycles[this.rows - 1]!;
  }

  /**
   * Appends one cycle. A missing reading (NaN) repeats the unit's previous value of that column, since the
   * model has never seen a gap. Returns true when the row started a new unit.
   */
  append(cycle: number, row: Float64Array): boolean {
    if (row.length !== this.width) throw new Error(`row has ${row.length} values, the history ${this.width} columns`);
    let started = false;
    if (this.rows === 0 || !(cycle > this.lastCycle)) {
      this.rows = 0;
      this.unitsStarted++;
      started = true;
    }
    if (this.rows === this.cycles.length) this.grow();
    const at = this.rows * this.width;
    for (let c = 0; c < this.width; c++) {
      const value = row[c]!;
      this.values[at + c] = Number.isNaN(value) && this.rows > 0 ? this.values[at - this.width + c]! : value;
    }
    this.cycles[this.rows] = cycle;
    this.rows++;
    return started;
  }

  /** Views of the current unit: rows × width readings and the cycle count of each row (valid until the next append). */
  view(): { history: Float64Array; cycleNumbers: Float64Array } {
    return { history: this.values.subarray(0, this.rows * this.width), cycleNumbers: this.cycles.subarray(0, this.rows) };
  }

  private grow(): void {
    const cycles = new Float64Array(this.cycles.length * 2);
    cycles.set(this.cycles);
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.cycles = cycles;
    this.values = values;
  }
}
