// The histogram pane: log2 histogram of the selected function's latency
// (entry/return pairs) or of one of its integer values (v cycles).
import { Box, Text } from "ink";
import type { TuiModel } from "./model.js";
import { fit, histogramRows } from "./text.js";
import { paint, paneTitle } from "./theme.js";

export interface HistogramPaneProps {
  model: TuiModel;
  width: number;
  height: number;
  focused: boolean;
  color: boolean;
}

export function HistogramPane({ model: m, width, height, focused, color }: HistogramPaneProps) {
  const { func, source, hist } = m.histogram();
  const unit = source === "latency" ? " (ns)" : "";
  const title = func === undefined ? "Histogram" : `${func}: ${source}${unit} n=${hist?.total ?? 0}`;
  const rows = hist ? histogramRows(hist.buckets, hist.negatives, width, height - 1) : [];
  const empty = func === undefined ? "select a function" : source === "latency" ? "no entry/return pairs yet" : "no values yet";
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...paint(color, "title")} bold={focused} wrap="truncate">
        {fit(paneTitle(title, focused), width)}
      </Text>
      {rows.map((r, i) => (
        <Text key={i} wrap="truncate">
          {r}
        </Text>
      ))}
      {rows.length === 0 ? <Text {...paint(color, "dim")}>{fit(` ${empty} (v: value)`, width)}</Text> : null}
    </Box>
  );
}
