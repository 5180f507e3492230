// device_rows.cu built for the host device system (kernels/system/system.h).
#include "kernels/device_rows.cu"
