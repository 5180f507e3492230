// chunk_pipeline.cu built for the host device system (kernels/system/system.h).
#include "kernels/chunk_pipeline.cu"
