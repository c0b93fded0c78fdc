// Must not compile: framers do no I/O; they never see a transport.
#include "transport/transport.hpp"
