// minute_directory.cu built for the host device system (kernels/system/system.h).
#include "kernels/minute_directory.cu"
