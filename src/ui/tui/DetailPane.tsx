// The detail pane: the selected event's typed values, the full btf_dump
// view (ksnoop text), scrollable; its time on the TUI's clock.
import { Box, Text } from "ink";
import type { Btf } from "../../btf/btf.js";
import type { TraceEvent } from "../../tracer/event.js";
import { detailLines, fit } from "./text.js";
import { paint, paneTitle } from "./theme.js";

export interface DetailPaneProps {
  btf: Btf | undefined;
  event: TraceEvent;
  /** The TUI's time base (the header's t=0). */
  startNs: bigint;
  scroll: number;
  width: number;
  height: number;
  focused: boolean;
  color: boolean;
}

export function DetailPane({ btf, event, startNs, scroll, width, height, focused, color }: DetailPaneProps) {
  const lines = btf ? detailLines(btf, event, startNs) : [`${event.func} (no BTF)`];
  const bodyH = Math.max(0, height - 1);
  const top = Math.max(0, Math.min(scroll, lines.length - bodyH));
  const more = lines.length > top + bodyH ? ` ${top + bodyH}/${lines.length}` : "";
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...paint(color, "title")} bold={focused} wrap="truncate">
        {fit(paneTitle(`Detail: ${event.func}${more}`, focused), width)}
      </Text>
      {lines.slice(top, top + bodyH).map((l, i) => (
        <Text key={i} wrap="truncate">
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
}
