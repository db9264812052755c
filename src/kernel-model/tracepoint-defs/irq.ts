// The irq, softirq, local timer vector, timer, hrtimer, workqueue and printk
// events (ids 1700-1799), with Linux 6.12's formats.
import { dataLoc, def, type FieldSpec } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

const ptr = (name: string): FieldSpec => ({ decl: `void * ${name}`, name, size: 8 });
const ul = (name: string): FieldSpec => ({ decl: `unsigned long ${name}`, name, size: 8 });
const int = (name: string): FieldSpec => ({ decl: `int ${name}`, name, size: 4, signed: true });
const s64 = (name: string): FieldSpec => ({ decl: `s64 ${name}`, name, size: 8, signed: true });
const mode: FieldSpec = { decl: "enum hrtimer_mode mode", name: "mode", size: 4 };
const vec: FieldSpec = { decl: "unsigned int vec", name: "vec", size: 4 };
const timer: [string, string] = ["struct timer_list *", "timer"];
const hrtimer: [string, string] = ["struct hrtimer *", "hrtimer"];
const work: [string, string] = ["struct work_struct *", "work"];

export function irqTracepoints(): TracepointDef[] {
  return [
    def(1700, "irq", "irq_handler_entry", [int("irq"), dataLoc("name")], [["int", "irq"], ["struct irqaction *", "action"]]),
    def(1701, "irq", "irq_handler_exit", [int("irq"), int("ret")], [["int", "irq"], ["struct irqaction *", "action"], ["int", "ret"]]),
    def(1702, "irq", "softirq_entry", [vec], [["unsigned int", "vec_nr"]], "softirq"),
    def(1703, "irq", "softirq_exit", [vec], [["unsigned int", "vec_nr"]], "softirq"),
    def(1704, "irq", "softirq_raise", [vec], [["unsigned int", "vec_nr"]], "softirq"),
    def(1705, "irq_vectors", "local_timer_entry", [int("vector")], [["int", "vector"]], "x86_irq_vector"),
    def(1706, "irq_vectors", "local_timer_exit", [int("vector")], [["int", "vector"]], "x86_irq_vector"),
    def(1710, "timer", "timer_init", [ptr("timer")], [timer], "timer_class"),
    def(1711, "timer", "timer_start", [ptr("timer"), ptr("function"), ul("expires"), ul("bucket_expiry"), ul("now"), { decl: "unsigned int flags", name: "flags", size: 4 }], [timer, ["unsigned long", "bucket_expiry"]]),
    def(1712, "timer", "timer_expire_entry", [ptr("timer"), ul("now"), ptr("function"), ul("baseclk")], [timer, ["unsigned long", "baseclk"]]),
    def(1713, "timer", "timer_expire_exit", [ptr("timer")], [timer], "timer_class"),
    def(1714, "timer", "timer_cancel", [ptr("timer")], [timer], "timer_class"),
    def(1715, "timer", "hrtimer_init", [ptr("hrtimer"), { decl: "clockid_t clockid", name: "clockid", size: 4, signed: true }, mode], [hrtimer, ["clockid_t", "clockid"], ["enum hrtimer_mode", "mode"]]),
    def(1716, "timer", "hrtimer_start", [ptr("hrtimer"), ptr("function"), s64("expires"), s64("softexpires"), mode], [hrtimer, ["enum hrtimer_mode", "mode"]]),
    def(1717, "timer", "hrtimer_expire_entry", [ptr("hrtimer"), s64("now"), ptr("function")], [hrtimer, ["ktime_t *", "now"]]),
    def(1718, "timer", "hrtimer_expire_exit", [ptr("hrtimer")], [hrtimer], "hrtimer_class"),
    def(1719, "timer", "hrtimer_cancel", [ptr("hrtimer")], [hrtimer], "hrtimer_class"),
    def(
      1720,
      "workqueue",
      "workqueue_queue_work",
      [ptr("work"), ptr("function"), dataLoc("workqueue"), int("req_cpu"), int("cpu")],
      [["int", "req_cpu"], ["struct pool_workqueue *", "pwq"], work],
    ),
    def(1721, "workqueue", "workqueue_activate_work", [ptr("work"), ptr("function")], [work]),
    def(1722, "workqueue", "workqueue_execute_start", [ptr("work"), ptr("function")], [work]),
    def(1723, "workqueue", "workqueue_execute_end", [ptr("work"), ptr("function")], [work, ["work_func_t", "function"]]),
    def(1730, "printk", "console", [dataLoc("msg")], [["const char *", "text"], ["size_t", "len"]]),
  ];
}
