/*
 * irq.h - hard IRQs, softirqs, timers and workqueues and their trace records of the btfsnoop synthetic kernel.
 *
 * Requires: types.h, trace.h.
 */
#ifndef _BTFSNOOP_KMODEL_IRQ_H
#define _BTFSNOOP_KMODEL_IRQ_H

#endif
