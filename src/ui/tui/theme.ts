// Colors of the TUI, or none (NO_COLOR, or a terminal without color): the
// components ask for a color by role and get props for ink's <Text>.
export type Role = "title" | "error" | "ok" | "dim" | "accent";

const COLORS: Record<Role, string> = { title: "cyan", error: "red", ok: "green", dim: "gray", accent: "yellow" };

/** `<Text {...paint(color, "error")}>`: the color prop, or nothing without color. */
export function paint(color: boolean, role: Role): { color?: string } {
  return color ? { color: COLORS[role] } : {};
}

/** The title of a pane: a marker when it has the focus (visible without color too). */
export function paneTitle(title: string, focused: boolean): string {
  return `${focused ? "▸ " : "  "}${title}`;
}
