// The footer: the main keys (? lists them all), or the filter being typed.
import { Box, Text } from "ink";
import type { TuiModel } from "./model.js";
import { fit } from "./text.js";
import { paint } from "./theme.js";

export interface FooterProps {
  model: TuiModel;
  width: number;
  color: boolean;
}

/** The keys, spaced out when the terminal is wide enough, else the short form (80 columns). */
export const KEYS = "? help  space pause  / filter  tab pane  ↑↓ jk move  ⏎ expand  s sort  v histogram  w workload  : spec  q quit";
export const KEYS_SHORT = "? help  spc pause  / filter  tab pane  jk move  ⏎ expand  : spec  q quit";

export function Footer({ model: m, width, color }: FooterProps) {
  const text = m.filterEditing ? `/${m.filter}█  (enter: keep, esc: clear)` : KEYS.length <= width ? KEYS : KEYS_SHORT;
  return (
    <Box width={width} height={1}>
      <Text {...paint(color, m.filterEditing ? "accent" : "dim")} wrap="truncate">
        {fit(text, width)}
      </Text>
    </Box>
  );
}
