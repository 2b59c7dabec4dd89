import { extent, formatTick, linearScale, niceTicks } from "./scale";

export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
}

const palette = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"];

/**
 * An SVG line chart that scales with its container. The figure carries a text summary for screen readers, and
 * the numbers behind it are one click away in a table.
 */
export function LineChart({ title, series, xLabel, yLabel, height = 220, yDomain }: {
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  height?: number;
  yDomain?: [number, number];
}) {
  const width = 640;
  const margin = { top: 12, right: 16, bottom: 36, left: 56 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const [xMin, xMax] = extent(xs);
  const [yMin, yMax] = yDomain ?? extent(ys);
  const x = linearScale([xMin, xMax], [margin.left, width - margin.right]);
  const y = linearScale([yMin, yMax], [height - margin.bottom, margin.top]);
  const points = series.reduce((sum, s) => sum + s.points.length, 0);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${series.length} series, ${points} points, ${yLabel} from ${formatTick(yMin)} to ${formatTick(yMax)}`} preserveAspectRatio="xMidYMid meet">
        {niceTicks(yMin, yMax).map((tick) => (
          <g key={`y${tick}`}>
            <line x1={margin.left} x2={width - margin.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={margin.left - 6} y={y(tick)} dy="0.32em" textAnchor="end" className="tick">{formatTick(tick)}</text>
          </g>
        ))}
        {niceTicks(xMin, xMax, 6).map((tick) => (
          <text key={`x${tick}`} x={x(tick)} y={height - margin.bottom + 16} textAnchor="middle" className="tick">{formatTick(tick)}</text>
        ))}
        <text x={(margin.left + width - margin.right) / 2} y={height - 4} textAnchor="middle" className="axis-label">{xLabel}</text>
        <text transform={`translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)`} textAnchor="middle" className="axis-label">{yLabel}</text>
        {series.map((s, index) => (
          <g key={s.name} stroke={palette[index % palette.length]} fill={palette[index % palette.length]}>
            <polyline fill="none" strokeWidth={2} points={s.points.map((p) => `${x(p.x)},${y(p.y)}`).join(" ")} />
            {s.points.length <= 60 ? s.points.map((p) => <circle key={p.x} cx={x(p.x)} cy={y(p.y)} r={3} />) : null}
          </g>
        ))}
      </svg>
      <figcaption>
        <span className="chart-title">{title}</span>
        {series.length > 1 ? (
          <ul className="legend">
            {series.map((s, index) => (
              <li key={s.name}><span className="swatch" style={{ background: palette[index % palette.length] }} aria-hidden="true" />{s.name}</li>
            ))}
          </ul>
        ) : null}
        <details>
          <summary>Data</summary>
          <table>
            <thead><tr><th scope="col">series</th><th scope="col">{xLabel}</th><th scope="col">{yLabel}</th></tr></thead>
            <tbody>
              {series.flatMap((s) => s.points.slice(-200).map((p) => <tr key={`${s.name}-${p.x}`}><td>{s.name}</td><td>{formatTick(p.x)}</td><td>{formatTick(p.y)}</td></tr>))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
