// device_sliding_sum.cu built for the host device system (kernels/system/system.h).
#include "kernels/device_sliding_sum.cu"
