// The block, filemap and writeback events (ids 1500-1599): Linux 6.12's
// formats (include/trace/events/block.h with RWBS_LEN 8, filemap.h,
// writeback.h), one field list per event class.
import { comm, dataLoc, def, type FieldSpec } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

const dev = (name = "dev"): FieldSpec => ({ decl: `dev_t ${name}`, name, size: 4 });
const u32 = (decl: string, name: string): FieldSpec => ({ decl, name, size: 4 });
const i32 = (decl: string, name: string): FieldSpec => ({ decl, name, size: 4, signed: true });
const u64 = (decl: string, name: string): FieldSpec => ({ decl, name, size: 8 });
const i64 = (decl: string, name: string): FieldSpec => ({ decl, name, size: 8, signed: true });
const rwbs: FieldSpec = { decl: "char rwbs[8]", name: "rwbs", size: 8, align: 1 };
/** The writeback events' bdi name (bdi_dev_name: "253:0" for vda). */
const bdiName: FieldSpec = { decl: "char name[32]", name: "name", size: 32, align: 1 };

/** class block_rq: rq_insert, rq_issue, rq_merge, io_start, io_done. */
const BLOCK_RQ: FieldSpec[] = [
  dev(),
  u64("sector_t sector", "sector"),
  u32("unsigned int nr_sector", "nr_sector"),
  u32("unsigned int bytes", "bytes"),
  { decl: "unsigned short ioprio", name: "ioprio", size: 2 },
  rwbs,
  comm("comm"),
  dataLoc("cmd"),
];
/** class block_bio: bio_backmerge, bio_frontmerge, bio_queue, getrq. */
const BLOCK_BIO: FieldSpec[] = [dev(), u64("sector_t sector", "sector"), u32("unsigned int nr_sector", "nr_sector"), rwbs, comm("comm")];
const RQ: [string, string][] = [["struct request *", "rq"]];
const BIO: [string, string][] = [["struct bio *", "bio"]];

/** class mm_filemap_op_page_cache: add_to / delete_from page cache. */
const FILEMAP_OP: FieldSpec[] = [u64("unsigned long pfn", "pfn"), u64("unsigned long i_ino", "i_ino"), u64("unsigned long index", "index"), dev("s_dev"), { decl: "unsigned char order", name: "order", size: 1 }];
const WB_FOLIO: FieldSpec[] = [bdiName, u64("ino_t ino", "ino"), u64("pgoff_t index", "index")];
const WB_DIRTY_INODE: FieldSpec[] = [bdiName, u64("ino_t ino", "ino"), u64("unsigned long state", "state"), u64("unsigned long flags", "flags")];
const WB_WRITE_INODE: FieldSpec[] = [bdiName, u64("ino_t ino", "ino"), i32("int sync_mode", "sync_mode"), u64("ino_t cgroup_ino", "cgroup_ino")];
const WB_WORK: FieldSpec[] = [
  bdiName,
  i64("long nr_pages", "nr_pages"),
  dev("sb_dev"),
  i32("int sync_mode", "sync_mode"),
  i32("int for_kupdate", "for_kupdate"),
  i32("int range_cyclic", "range_cyclic"),
  i32("int for_background", "for_background"),
  i32("int reason", "reason"),
  u64("ino_t cgroup_ino", "cgroup_ino"),
];
const WB_SINGLE_INODE: FieldSpec[] = [
  bdiName,
  u64("ino_t ino", "ino"),
  u64("unsigned long state", "state"),
  u64("unsigned long dirtied_when", "dirtied_when"),
  u64("unsigned long writeback_index", "writeback_index"),
  i64("long nr_to_write", "nr_to_write"),
  u64("unsigned long wrote", "wrote"),
  u64("ino_t cgroup_ino", "cgroup_ino"),
];

export function blockTracepoints(): TracepointDef[] {
  return [
    def(1500, "block", "block_rq_issue", BLOCK_RQ, RQ, "block_rq"),
    def(
      1501,
      "block",
      "block_rq_complete",
      [dev(), u64("sector_t sector", "sector"), u32("unsigned int nr_sector", "nr_sector"), i32("int error", "error"), { decl: "unsigned short ioprio", name: "ioprio", size: 2 }, rwbs, dataLoc("cmd")],
      [["struct request *", "rq"], ["blk_status_t", "error"], ["unsigned int", "nr_bytes"]],
      "block_rq_completion",
    ),
    def(1502, "block", "block_rq_insert", BLOCK_RQ, RQ, "block_rq"),
    def(1503, "block", "block_io_start", BLOCK_RQ, RQ, "block_rq"),
    def(1504, "block", "block_io_done", BLOCK_RQ, RQ, "block_rq"),
    def(
      1505,
      "block",
      "block_bio_complete",
      [dev(), u64("sector_t sector", "sector"), u32("unsigned nr_sector", "nr_sector"), i32("int error", "error"), rwbs],
      [["struct request_queue *", "q"], ["struct bio *", "bio"]],
    ),
    def(1506, "block", "block_bio_backmerge", BLOCK_BIO, BIO, "block_bio"),
    def(1507, "block", "block_bio_queue", BLOCK_BIO, BIO, "block_bio"),
    def(1508, "block", "block_getrq", BLOCK_BIO, BIO, "block_bio"),
    def(1509, "block", "block_plug", [comm("comm")], [["struct request_queue *", "q"]]),
    def(
      1510,
      "block",
      "block_unplug",
      [i32("int nr_rq", "nr_rq"), comm("comm")],
      [["struct request_queue *", "q"], ["unsigned int", "depth"], ["bool", "explicit"]],
    ),
    def(1530, "filemap", "mm_filemap_add_to_page_cache", FILEMAP_OP, [["struct folio *", "folio"]], "mm_filemap_op_page_cache"),
    def(1531, "filemap", "mm_filemap_delete_from_page_cache", FILEMAP_OP, [["struct folio *", "folio"]], "mm_filemap_op_page_cache"),
    def(
      1532,
      "filemap",
      "file_check_and_advance_wb_err",
      [u64("struct file * file", "file"), u64("unsigned long i_ino", "i_ino"), dev("s_dev"), u32("errseq_t old", "old"), u32("errseq_t new", "new")],
      [["struct file *", "file"], ["errseq_t", "old"]],
    ),
    def(1560, "writeback", "writeback_dirty_folio", WB_FOLIO, [["struct folio *", "folio"], ["struct address_space *", "mapping"]], "writeback_folio_template"),
    def(1561, "writeback", "folio_wait_writeback", WB_FOLIO, [["struct folio *", "folio"], ["struct address_space *", "mapping"]], "writeback_folio_template"),
    def(1562, "writeback", "writeback_mark_inode_dirty", WB_DIRTY_INODE, [["struct inode *", "inode"], ["int", "flags"]], "writeback_dirty_inode_template"),
    def(1563, "writeback", "writeback_dirty_inode_start", WB_DIRTY_INODE, [["struct inode *", "inode"], ["int", "flags"]], "writeback_dirty_inode_template"),
    def(1564, "writeback", "writeback_dirty_inode", WB_DIRTY_INODE, [["struct inode *", "inode"], ["int", "flags"]], "writeback_dirty_inode_template"),
    def(1565, "writeback", "writeback_write_inode_start", WB_WRITE_INODE, [["struct inode *", "inode"], ["struct writeback_control *", "wbc"]], "writeback_write_inode_template"),
    def(1566, "writeback", "writeback_write_inode", WB_WRITE_INODE, [["struct inode *", "inode"], ["struct writeback_control *", "wbc"]], "writeback_write_inode_template"),
    def(1567, "writeback", "writeback_start", WB_WORK, [["struct bdi_writeback *", "wb"], ["struct wb_writeback_work *", "work"]], "writeback_work_class"),
    def(1568, "writeback", "writeback_written", WB_WORK, [["struct bdi_writeback *", "wb"], ["struct wb_writeback_work *", "work"]], "writeback_work_class"),
    def(1569, "writeback", "writeback_pages_written", [i64("long pages", "pages")], [["long", "pages_written"]]),
    def(
      1570,
      "writeback",
      "writeback_single_inode_start",
      WB_SINGLE_INODE,
      [["struct inode *", "inode"], ["struct writeback_control *", "wbc"], ["unsigned long", "nr_to_write"]],
      "writeback_single_inode_template",
    ),
    def(
      1571,
      "writeback",
      "writeback_single_inode",
      WB_SINGLE_INODE,
      [["struct inode *", "inode"], ["struct writeback_control *", "wbc"], ["unsigned long", "nr_to_write"]],
      "writeback_single_inode_template",
    ),
  ];
}
