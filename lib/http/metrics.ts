/** Prometheus counters and gauges of one service (oracle, gateway, twin), rendered in the text exposition format. */
export class PrometheusMetrics {
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, number>();

  increment(name: string, labels: Record<string, string> = {}, by = 1): void {
    const key = metricKey(name, labels);
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + by);
  }

  set(name: string, value: number, labels: Record<string, string> = {}): void {
    this.#gauges.set(metricKey(name, labels), value);
  }

  render(): string {
    const lines: string[] = [];
    const emit = (entries: Map<string, number>, type: string) => {
      const seen = new Set<string>();
      for (const [key, value] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
        const name = key.split("{")[0]!;
        if (!seen.has(name)) {
          lines.push(`# TYPE ${name} ${type}`);
          seen.add(name);
        }
        lines.push(`${key} ${value}`);
      }
    };
    emit(this.#counters, "counter");
    emit(this.#gauges, "gauge");
    return lines.join("\n") + "\n";
  }
}

function metricKey(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return name;
  return `${name}{${entries.map(([k, v]) => `${k}="${v.replaceAll('"', '\\"')}"`).join(",")}}`;
}
