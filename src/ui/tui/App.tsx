// The whole screen: header, function table, event pane beside the detail
// (an expanded event) or histogram pane (or, with ?, the help overlay in
// place of the table and those panes), spec prompt and footer, laid out
// in a fixed width x height (80x24 at least) so panes never overlap. A thin
// shell: it subscribes to the driver's redraws and hands keys to it.
import { Box, Text, useInput } from "ink";
import { useSyncExternalStore } from "react";
import type { Btf } from "../../btf/btf.js";
import { DetailPane } from "./DetailPane.js";
import type { TuiDriver } from "./driver.js";
import { EventPane } from "./EventPane.js";
import { Footer } from "./Footer.js";
import { FunctionTable } from "./FunctionTable.js";
import { Header } from "./Header.js";
import { HelpPane } from "./HelpPane.js";
import { HistogramPane } from "./HistogramPane.js";
import { SpecPrompt } from "./SpecPrompt.js";

export interface AppProps {
  driver: TuiDriver;
  btf: Btf | undefined;
  width: number;
  height: number;
  color: boolean;
}

/** Rows of each part for a terminal of `height` rows. */
export function layout(height: number, nTargets: number): { table: number; middle: number } {
  const rest = Math.max(6, height - 6);
  const table = Math.max(3, Math.min(nTargets + 2, Math.floor(rest * 0.4)));
  return { table, middle: rest - table };
}

export function App({ driver, btf, width, height, color }: AppProps) {
  useSyncExternalStore(driver.subscribe, driver.getVersion);
  useInput((input, key) => driver.key(input, key));
  const m = driver.model;
  const { table, middle } = layout(height, Math.max(5, m.targets.length));
  const left = Math.floor(width * 0.55);
  const right = width - left - 1;
  const sep = Array.from({ length: middle }, () => "│").join("\n");
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header model={m} width={width} color={color} />
      {m.help ? (
        <HelpPane width={width} height={table + middle} color={color} />
      ) : (
        <>
          <FunctionTable model={m} width={width} height={table} focused={m.pane === "functions"} color={color} />
          <Box flexDirection="row" width={width} height={middle}>
            <EventPane model={m} width={left} height={middle} focused={m.pane === "events"} color={color} />
            <Box width={1} height={middle}>
              <SepText text={sep} />
            </Box>
            {m.expanded ? (
              <DetailPane btf={btf} event={m.expanded} startNs={m.startNs} scroll={m.detailScroll} width={right} height={middle} focused={m.pane === "detail"} color={color} />
            ) : (
              <HistogramPane model={m} width={right} height={middle} focused={m.pane === "detail"} color={color} />
            )}
          </Box>
        </>
      )}
      <SpecPrompt model={m} width={width} focused={m.pane === "prompt"} color={color} />
      <Footer model={m} width={width} color={color} />
    </Box>
  );
}

function SepText({ text }: { text: string }) {
  return <Text dimColor>{text}</Text>;
}
