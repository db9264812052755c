// The event pane: the latest events (filtered by the text filter), newest
// first, one line each; focused, the list holds still and the detail pane
// shows the row under the cursor.
import { Box, Text } from "ink";
import type { TuiModel } from "./model.js";
import { compactEvent, fit } from "./text.js";
import { paint, paneTitle } from "./theme.js";

export interface EventPaneProps {
  model: TuiModel;
  width: number;
  height: number;
  focused: boolean;
  color: boolean;
}

export function EventPane({ model: m, width, height, focused, color }: EventPaneProps) {
  const bodyH = Math.max(0, height - 1);
  const sel = m.eventIndex;
  const first = sel >= bodyH ? sel - bodyH + 1 : 0;
  const events = m.visibleEvents(first + bodyH);
  const shown = events.slice(first, first + bodyH);
  const filter = m.filter ? `  filter: ${m.filter}` : "";
  // Times: ms on the header's clock (t=+…ms). Focused, the list holds still: new events are only counted.
  const held = m.holding ? `  held, ${m.heldNew} new` : "";
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...paint(color, "title")} bold={focused} wrap="truncate">
        {fit(paneTitle(`Events (t ms)${filter}${held}`, focused), width)}
      </Text>
      {shown.map((e, i) => {
        const selected = first + i === sel;
        const expanded = m.expanded === e;
        const line = `${selected ? ">" : expanded ? "*" : " "}${compactEvent(e, m.startNs)}`;
        return (
          <Text key={i} inverse={selected && focused} {...(e.kind === "return" ? paint(color, "dim") : {})} wrap="truncate">
            {fit(line, width)}
          </Text>
        );
      })}
      {shown.length === 0 ? <Text {...paint(color, "dim")}>{fit(m.filter ? " no event matches the filter" : " no events yet", width)}</Text> : null}
    </Box>
  );
}
