// The function table: every attached function with calls/s, events,
// errors, average and p99 latency; sorted by the model's sort column.
import { Box, Text } from "ink";
import type { FunctionRow, SortKey, TuiModel } from "./model.js";
import { fit, fitRight, formatCount, formatCountIn, formatNs } from "./text.js";
import { paint, paneTitle } from "./theme.js";

export interface FunctionTableProps {
  model: TuiModel;
  width: number;
  height: number;
  focused: boolean;
  color: boolean;
}

const COLUMNS: { key: SortKey; title: string; width: number; cell(r: FunctionRow): string }[] = [
  { key: "rate", title: "calls/s", width: 9, cell: (r) => formatCount(r.rate) },
  { key: "events", title: "events", width: 8, cell: (r) => formatCountIn(r.events, 8) },
  { key: "errors", title: "errors", width: 7, cell: (r) => formatCountIn(r.errors, 7) },
  { key: "avg", title: "avg", width: 9, cell: (r) => (r.avgNs === undefined ? "-" : formatNs(r.avgNs)) },
  { key: "p99", title: "p99", width: 9, cell: (r) => (r.p99Ns === undefined ? "-" : formatNs(r.p99Ns)) },
];

export function FunctionTable({ model: m, width, height, focused, color }: FunctionTableProps) {
  const rows = m.rows();
  const nameW = Math.max(8, width - 2 - COLUMNS.reduce((a, c) => a + c.width + 1, 0));
  const mark = (k: SortKey, t: string): string => (m.sort === k ? `${t}▾` : t);
  const head = `  ${fit(mark("name", "function"), nameW)}${COLUMNS.map((c) => " " + fitRight(mark(c.key, c.title), c.width)).join("")}`;
  const bodyH = Math.max(0, height - 2);
  const sel = Math.min(m.fnIndex, rows.length - 1);
  const first = sel >= bodyH ? sel - bodyH + 1 : 0;
  const shown = rows.slice(first, first + bodyH);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...paint(color, "title")} bold={focused} wrap="truncate">
        {fit(paneTitle(`Functions (${rows.length})  sort: ${m.sort}`, focused), width)}
      </Text>
      <Text underline wrap="truncate">
        {fit(head, width)}
      </Text>
      {shown.map((r, i) => {
        const selected = first + i === sel;
        const line = `${selected ? "> " : "  "}${fit(r.name, nameW)}${COLUMNS.map((c) => " " + fitRight(c.cell(r), c.width)).join("")}`;
        return (
          <Text key={r.name} inverse={selected && focused} {...(r.errors ? paint(color, "error") : {})} wrap="truncate">
            {fit(line, width)}
          </Text>
        );
      })}
      {shown.length === 0 ? <Text {...paint(color, "dim")}>{fit("  no function attached: type a spec below (:)", width)}</Text> : null}
    </Box>
  );
}
