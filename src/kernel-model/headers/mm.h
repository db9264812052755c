/*
 * mm.h - memory allocation (kmalloc, kmem_cache, pages), locking (mutex, rwsem, spinlocks) and their trace records of the btfsnoop synthetic kernel.
 *
 * Requires: types.h, trace.h.
 */
#ifndef _BTFSNOOP_KMODEL_MM_H
#define _BTFSNOOP_KMODEL_MM_H

#endif
