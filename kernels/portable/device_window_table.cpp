// device_window_table.cu built for the host device system (kernels/system/system.h).
#include "kernels/device_window_table.cu"
