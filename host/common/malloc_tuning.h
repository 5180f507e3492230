// Allocator settings for the long-running streaming processes (aggregator, sink, run).
//
// glibc's defaults give memory back as soon as it is freed: large blocks are unmapped, heap
// tops trimmed, and every thread gets an arena of its own whose heaps are deleted when they
// empty. A consumer that keeps hundreds of megabytes of fetched records, per-window tables
// and result buffers moving through memory then pays a page fault for every page of it again
// and again (a fifth of the aggregator's CPU time on a virtual machine went to page faults).
// Keeping freed memory for reuse trades a resident set that stays at its peak for that time.
#pragma once

namespace clickagg {

// Call first thing in the process, before any thread starts (arenas are per thread).
void tune_malloc_for_streaming();

}  // namespace clickagg
