// Must not compile: the candidate ordering is pure; sockets belong to the transports.
#include "transport/address.hpp"
