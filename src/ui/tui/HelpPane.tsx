// The help overlay (?): every key of the TUI and what it does, in two
// columns (the keys of every pane; the spec prompt's and the filter's),
// drawn over the function table and the middle panes, and what the rates
// count. Any key closes it.
import { Box, Text } from "ink";
import { fit } from "./text.js";
import { paint, paneTitle } from "./theme.js";

/** A heading (no key) or a key and what it does. */
export type HelpLine = { heading: string } | { key: string; does: string };

const KEY_W = 11;

/** The left column: the keys of the panes. */
export const HELP_PANES: readonly HelpLine[] = [
  { heading: "Panes" },
  { key: "?", does: "this help; any key closes" },
  { key: "q  ctrl-c", does: "quit: detach everything" },
  { key: "space", does: "pause / resume the kernel" },
  { key: "tab  S-tab", does: "next / previous pane" },
  { key: "↑ ↓  j k", does: "move; pgup pgdn: 10 rows" },
  { key: "enter", does: "events: detail; table: hist" },
  { key: "esc", does: "close the detail" },
  { key: "s", does: "next sort column" },
  { key: "v", does: "histogram: latency, values" },
  { key: "w", does: "next workload" },
  { key: "/", does: "filter the events by text" },
  { key: ":", does: "the spec prompt" },
];

/** The right column: the spec prompt's and the filter's keys. */
export const HELP_PROMPT: readonly HelpLine[] = [
  { heading: "Spec prompt (:)" },
  { key: "enter", does: "add to the attached specs" },
  { key: "= SPEC", does: "(line start) replace them" },
  { key: "esc", does: "cancel: clear, leave" },
  { key: "ctrl-u", does: "clear the line" },
  { key: "↑ ↓", does: "history" },
  { key: "backspace", does: "delete a character" },
  { key: "tab", does: "next pane (empty line)" },
  { heading: "Filter (/)" },
  { key: "enter", does: "keep the filter" },
  { key: "esc", does: "clear the filter" },
  { heading: "" },
  { heading: "rates: over the last 1 s of wall time" },
];

function line(l: HelpLine | undefined, width: number): string {
  if (!l) return " ".repeat(width);
  if ("heading" in l) return fit(` ${l.heading}`, width);
  return fit(` ${l.key.padEnd(KEY_W)}${l.does}`, width);
}

export interface HelpPaneProps {
  width: number;
  height: number;
  color: boolean;
}

export function HelpPane({ width, height, color }: HelpPaneProps) {
  const left = Math.floor(width / 2);
  const right = width - left;
  const rows = Math.max(HELP_PANES.length, HELP_PROMPT.length);
  const body: string[] = [];
  for (let i = 0; i < Math.min(rows, height - 1); i++) body.push(line(HELP_PANES[i], left) + line(HELP_PROMPT[i], right));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...paint(color, "title")} bold wrap="truncate">
        {fit(paneTitle("Help: keys (any key closes)", true), width)}
      </Text>
      {body.map((l, i) => (
        <Text key={i} wrap="truncate">
          {l}
        </Text>
      ))}
    </Box>
  );
}
