import { extent, formatTick } from "./scale";

/** Horizontal bars (feature importance, counts), largest first, with the values written beside them. */
export function BarChart({ title, bars, valueLabel }: { title: string; bars: { label: string; value: number }[]; valueLabel: string }) {
  const sorted = [...bars].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const [, max] = extent(sorted.map((bar) => Math.abs(bar.value)));
  const rowHeight = 22;
  const labelWidth = 150;
  const width = 640;
  const height = sorted.length * rowHeight + 8;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${sorted.slice(0, 3).map((bar) => `${bar.label} ${formatTick(bar.value)}`).join(", ")}${sorted.length > 3 ? ", …" : ""}`}>
        {sorted.map((bar, index) => {
          const length = max > 0 ? (Math.abs(bar.value) / max) * (width - labelWidth - 70) : 0;
          return (
            <g key={bar.label} transform={`translate(0 ${index * rowHeight + 4})`}>
              <text x={labelWidth - 8} y={rowHeight / 2} dy="0.32em" textAnchor="end" className="tick">{bar.label}</text>
              <rect x={labelWidth} y={3} width={length} height={rowHeight - 6} className={bar.value < 0 ? "bar bar-negative" : "bar"} />
              <text x={labelWidth + length + 6} y={rowHeight / 2} dy="0.32em" className="tick">{formatTick(bar.value)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span className="chart-title">{title}</span> <span className="muted">({valueLabel})</span>
      </figcaption>
    </figure>
  );
}
