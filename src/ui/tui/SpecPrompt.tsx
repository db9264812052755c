// The spec prompt: the spec being typed, parsed and resolved as it is
// typed (the driver sets the status): an error shows a caret under the
// offending text and the message; Enter adds the specs to the attached
// ones (a leading = replaces them), Esc cancels, Ctrl-U clears the line.
import { Box, Text } from "ink";
import type { TuiModel } from "./model.js";
import { fit } from "./text.js";
import { paint } from "./theme.js";

export interface SpecPromptProps {
  model: TuiModel;
  width: number;
  focused: boolean;
  color: boolean;
}

export const PROMPT = "spec> ";

export function SpecPrompt({ model: m, width, focused, color }: SpecPromptProps) {
  const st = m.promptStatus;
  const input = `${PROMPT}${m.prompt}${focused ? "█" : ""}`;
  let caretLine = "";
  if (st.kind === "error" && st.span) {
    const start = Math.max(0, Math.min(st.span.start, m.prompt.length));
    const end = Math.max(start + 1, Math.min(st.span.end, m.prompt.length));
    caretLine = " ".repeat(PROMPT.length + start) + "^" + "~".repeat(end - start - 1);
  }
  const message =
    st.kind === "error" ? `error: ${st.message}${st.hint ? ` (hint: ${st.hint})` : ""}` : st.kind === "ok" ? st.message : focused ? "type a spec: enter adds it (=SPEC replaces), ↑↓ history, esc cancels, ^U clears" : m.message;
  const role = st.kind === "error" ? "error" : st.kind === "ok" ? "ok" : "dim";
  return (
    <Box flexDirection="column" width={width} height={3}>
      <Text bold={focused} wrap="truncate">
        {fit(input, width)}
      </Text>
      <Text {...paint(color, "error")} wrap="truncate">
        {fit(caretLine, width)}
      </Text>
      <Text {...paint(color, role)} wrap="truncate">
        {fit(message, width)}
      </Text>
    </Box>
  );
}
