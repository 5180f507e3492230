// device_judge.cu built for the host device system (kernels/system/system.h).
#include "kernels/device_judge.cu"
