// The block, filemap and writeback events (ids 1500-1599).
import { comm, dataLoc, def } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

export function blockTracepoints(): TracepointDef[] {
  return [
    def(
      1500,
      "block",
      "block_rq_issue",
      [
        { decl: "dev_t dev", name: "dev", size: 4 },
        { decl: "sector_t sector", name: "sector", size: 8 },
        { decl: "unsigned int nr_sector", name: "nr_sector", size: 4 },
        { decl: "unsigned int bytes", name: "bytes", size: 4 },
        { decl: "unsigned short ioprio", name: "ioprio", size: 2 },
        { decl: "char rwbs[8]", name: "rwbs", size: 8, align: 1 },
        comm("comm"),
        dataLoc("cmd"),
      ],
      [["struct request *", "rq"]],
      "block_rq",
    ),
    def(
      1501,
      "block",
      "block_rq_complete",
      [
        { decl: "dev_t dev", name: "dev", size: 4 },
        { decl: "sector_t sector", name: "sector", size: 8 },
        { decl: "unsigned int nr_sector", name: "nr_sector", size: 4 },
        { decl: "int error", name: "error", size: 4, signed: true },
        { decl: "unsigned short ioprio", name: "ioprio", size: 2 },
        { decl: "char rwbs[8]", name: "rwbs", size: 8, align: 1 },
        dataLoc("cmd"),
      ],
      [["struct request *", "rq"], ["blk_status_t", "error"], ["unsigned int", "nr_bytes"]],
      "block_rq_completion",
    ),
  ];
}
