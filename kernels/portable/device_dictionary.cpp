// device_dictionary.cu built for the host device system (kernels/system/system.h).
#include "kernels/device_dictionary.cu"
