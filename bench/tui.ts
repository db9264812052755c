// TUI benchmark: the interactive view under load. The real App rendered by
// ink (ink-testing-library's in-memory terminal), the driver ticking the
// synthetic kernel on its real timer, and keys arriving at random moments:
// the input latency is from the moment a key is due (as if the terminal
// delivered it then, even mid-tick) to the first frame that shows its
// effect (space toggles [PAUSED]). Also the events per second the view
// ingests and the redraws per second the throttle lets through (at most 30).
import { createElement } from "react";
import { render } from "ink-testing-library";
import { bootSyntheticKernel, machineOf } from "../src/syscall/boot.js";
import { App } from "../src/ui/tui/App.js";
import { TuiDriver } from "../src/ui/tui/driver.js";
import { printTable } from "./table.js";

const PRESSES = Number(process.env.BENCH_TUI_PRESSES ?? 30);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Percentile `p` (0..1) of `xs`. */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

async function measure(spec: string, workload: string): Promise<string[]> {
  const machine = machineOf(bootSyntheticKernel({ seed: 1 }));
  const driver = new TuiDriver({ machine, specs: [spec], workload, pages: 256 });
  driver.open();
  const ui = render(createElement(App, { driver, btf: driver.btf, width: 100, height: 30, color: false }));
  driver.start();
  try {
    await sleep(500); // warm-up
    // Throughput while running.
    driver.redrawNow();
    const d0 = driver.model.counters.delivered;
    const r0 = driver.redraws;
    const t0 = performance.now();
    await sleep(2000);
    driver.redrawNow();
    const secs = (performance.now() - t0) / 1000;
    const rate = (driver.model.counters.delivered - d0) / secs;
    const redraws = (driver.redraws - r0 - 1) / secs;
    // Input latency: a key due at a random moment, until the frame shows it.
    const lat: number[] = [];
    for (let i = 0; i < PRESSES; i++) {
      const wait = 20 + Math.floor(Math.random() * 60);
      const due = performance.now() + wait;
      const shown = await new Promise<number>((resolve) => {
        setTimeout(() => {
          const wantPaused = !driver.model.paused;
          ui.stdin.write(" ");
          const check = () => {
            if ((ui.lastFrame() ?? "").includes("[PAUSED]") === wantPaused) resolve(performance.now());
            else setImmediate(check);
          };
          check();
        }, wait);
      });
      lat.push(shown - due);
    }
    return [spec, workload, Math.round(rate).toLocaleString("en-US"), redraws.toFixed(1), pct(lat, 0.5).toFixed(1), pct(lat, 0.99).toFixed(1), Math.max(...lat).toFixed(1)];
  } finally {
    driver.quit();
    ui.unmount();
  }
}

export async function runTuiBench(): Promise<void> {
  const rows: string[][] = [];
  rows.push(await measure("ip_send_skb(skb->sk)", "net"));
  rows.push(await measure("tcp_*", "net"));
  rows.push(await measure("tcp_*", "mixed"));
  printTable(
    `tui: the App under load (ink, real timer, ${PRESSES} key presses at random moments; target: input latency under 50 ms at 100k events/s, at most 30 redraws/s)`,
    ["spec", "workload", "events/s", "redraws/s", "input p50 ms", "input p99 ms", "max ms"],
    rows,
  );
}
