/**
 * A bar chart as a standalone SVG, written by hand: a few rectangles and labels do not justify a
 * plotting library and its dependencies in the bench.
 */
export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Colours the bar: the baselines in greys, the transport in colour. */
  readonly kind: 'raw' | 'java' | 'transport' | 'embedded';
}

export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly Bar[];
}

const COLOURS: Record<Bar['kind'], string> = { raw: '#9aa0a6', java: '#5f6368', transport: '#d93025', embedded: '#1a73e8' };
const WIDTH = 900;
const LABEL = 430;
const BAR_HEIGHT = 16;
const GAP = 5;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const number = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));

export function renderChart(title: string, panels: readonly Panel[]): string {
  const parts: string[] = [];
  let y = 34;
  parts.push(`<text x="10" y="22" font-size="16" font-weight="bold">${escape(title)}</text>`);
  for (const panel of panels) {
    y += 14;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${escape(panel.title)} (${escape(panel.unit)})</text>`);
    y += 8;
    const max = Math.max(...panel.bars.map((b) => b.value), 1);
    for (const bar of panel.bars) {
      const length = Math.max(1, ((WIDTH - LABEL - 90) * bar.value) / max);
      parts.push(`<text x="${LABEL - 6}" y="${y + BAR_HEIGHT - 4}" font-size="11" text-anchor="end">${escape(bar.label)}</text>`);
      parts.push(`<rect x="${LABEL}" y="${y}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLOURS[bar.kind]}"/>`);
      parts.push(`<text x="${(LABEL + length + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 4}" font-size="11">${number(bar.value)}</text>`);
      y += BAR_HEIGHT + GAP;
    }
    y += 10;
  }
  const legend = (['raw', 'java', 'transport', 'embedded'] as const).filter((kind) => panels.some((p) => p.bars.some((b) => b.kind === kind)));
  const names: Record<Bar['kind'], string> = { raw: 'raw STOMP', java: 'ActiveMQ Java client', transport: 'nestjs-activemq', embedded: 'embedded broker' };
  legend.forEach((kind, i) => {
    parts.push(`<rect x="${10 + i * 190}" y="${y}" width="12" height="12" fill="${COLOURS[kind]}"/>`);
    parts.push(`<text x="${28 + i * 190}" y="${y + 10}" font-size="11">${names[kind]}</text>`);
  });
  y += 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}
