// topn_select.cu built for the host device system (kernels/system/system.h).
#include "kernels/topn_select.cu"
