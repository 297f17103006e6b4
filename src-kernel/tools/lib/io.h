/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Register and DMA-memory access for userspace drivers.
 *
 * Registers are mapped uncached (device memory): access them only through
 * reg_read32()/reg_write32(), naturally aligned. DMA memory (descriptor rings,
 * frame buffers) is ordinary memory the device also reads and writes:
 *   dma_wmb()  between filling a descriptor and the register write that hands
 *              it to the device;
 *   dma_rmb()  between seeing a descriptor's "done" bit and reading the rest
 *              of it or its buffer.
 * (The same roles as the kernel's dma_wmb()/dma_rmb(), Documentation/
 * memory-barriers.txt; on ARM the DSB forms, since the buffers may be mapped
 * non-cacheable.)
 */
#ifndef TOOLS_IO_H
#define TOOLS_IO_H

#include <stdint.h>

static inline uint32_t reg_read32(volatile void *base, unsigned int off)
{
	return *(volatile uint32_t *)((uintptr_t)base + off);
}

static inline void reg_write32(volatile void *base, unsigned int off,
			       uint32_t val)
{
	*(volatile uint32_t *)((uintptr_t)base + off) = val;
}

static inline void dma_wmb(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dsb st" ::: "memory");
#elif defined(__arm__)
	__asm__ __volatile__("dsb st" ::: "memory");
#else
	/* x86: stores are not reordered with later stores to UC memory */
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline void dma_rmb(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dsb ld" ::: "memory");
#elif defined(__arm__)
	__asm__ __volatile__("dsb sy" ::: "memory");
#else
	/* x86: loads are not reordered with older loads */
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* TOOLS_IO_H */
