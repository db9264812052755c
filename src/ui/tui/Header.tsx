// The header: simulated time (the TUI's clock), workload, kernel, event
// rate, counters, the attached specs.
import { Box, Text } from "ink";
import type { TuiModel } from "./model.js";
import { fit, formatCount, formatMs } from "./text.js";
import { paint } from "./theme.js";

export interface HeaderProps {
  model: TuiModel;
  width: number;
  color: boolean;
}

export function Header({ model: m, width, color }: HeaderProps) {
  const c = m.counters;
  // The clock first: it grows (t=+12345.678ms), the kernel's description may be cut at 80 columns instead.
  const line1 = `t=+${formatMs(m.nowNs - m.startNs)}ms │ workload ${m.workload} │ kernel ${m.kernel} │ btfsnoop tui`;
  const state = m.paused ? "[PAUSED] " : "";
  const line2 = `${state}${formatCount(m.eventRate)} ev/s │ ${c.delivered} events │ ${c.filtered} filtered │ ${c.lost + c.ringDrops} lost │ ${m.links} links │ ${m.specs.join("; ") || "(no spec)"}`;
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text {...paint(color, "title")} bold wrap="truncate">
        {fit(line1, width)}
      </Text>
      <Text {...paint(color, m.paused ? "accent" : c.lost ? "error" : "dim")} wrap="truncate">
        {fit(line2, width)}
      </Text>
    </Box>
  );
}
