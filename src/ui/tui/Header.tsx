// The header: kernel, workload, simulated time, event rate, counters.
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
  const line1 = `btfsnoop tui │ kernel ${m.kernel} │ workload ${m.workload} │ t=+${formatMs(m.nowNs - m.startNs)}ms`;
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
